//! Several clusters in one console: `:cluster` by name, prefix or letters in order, and the
//! picker `:cluster` opens, listing each cluster with its state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::time::{Duration, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rack::config::keymap::Keymap;
use rack::config::theme::Theme;
use rack::console::dialog::Dialog;
use rack::console::model::{ClusterView, Model};
use rack::console::{Event, update};
use rack::model::ClusterSnapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::common::console::START;

fn press(model: &mut Model, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        update(model, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

fn screen(model: &Model) -> String {
    let mut terminal = Terminal::new(TestBackend::new(100, 24)).unwrap();
    terminal
        .draw(|f| rack::ui::draw(model, &Theme::default(), f))
        .unwrap();
    terminal.backend().to_string()
}

#[test]
fn clusters_are_found_by_prefix_and_picked_from_a_list() {
    let at = UNIX_EPOCH + Duration::from_secs(START);
    let mut model = Model::new(
        vec![
            ClusterView::new("homelab", false),
            ClusterView::new("laptop", false),
            ClusterView::new("lab-east", true),
        ],
        Keymap::default(),
        at,
    );
    let mut gone = ClusterSnapshot::new("lab-east");
    gone.resources
        .update(Err("cannot connect to https://10.9.9.9:8006".into()), at);
    update(&mut model, Event::Snapshot(Box::new(gone)));

    press(&mut model, ":cluster lap\n");
    assert_eq!(model.current, 1);
    press(&mut model, ":cluster hl\n");
    assert_eq!(model.current, 0);
    press(&mut model, ":cluster la\n");
    assert_eq!(model.current, 0);
    assert!(
        screen(&model).contains("\"la\" matches laptop and lab-east: say more"),
        "{}",
        screen(&model)
    );

    press(&mut model, ":cluster\n");
    assert!(matches!(model.dialog, Some(Dialog::Clusters(_))));
    let shown = screen(&model);
    assert!(shown.contains("▸ homelab (shown)  connecting…"), "{shown}");
    assert!(
        shown.contains("lab-east  cannot be read: cannot connect to https://10.9.9.9:8006"),
        "{shown}"
    );
    press(&mut model, "jj\n");
    assert_eq!(model.current, 2);
    assert!(model.dialog.is_none());
}
