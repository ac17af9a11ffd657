//! Drawing: `draw(&Model, &Theme, &mut Frame)` reads the model and never changes it, awaits or
//! touches the network. One generic table serves every tabular pane; each pane supplies columns
//! and a detail view.

mod audit;
mod backups;
mod ceph;
mod datacenter;
mod detail;
mod devices;
mod dialog;
mod form;
mod ha;
mod header;
mod help;
mod log;
mod log_view;
mod maintenance;
mod networks;
mod panes;
mod status;
mod table;
mod tasks;
mod terminal;
mod walkthrough;
mod widgets;

pub use table::{Column, Fitted, fit};

/// Every pane's columns, as the screen draws them (and tests check them).
pub mod columns {
    pub use super::audit::AUDIT_COLUMNS;
    pub use super::backups::BACKUP_COLUMNS;
    pub use super::ceph::CEPH_COLUMNS;
    pub use super::devices::DEVICE_COLUMNS;
    pub use super::ha::HA_COLUMNS;
    pub use super::log::LOG_COLUMNS;
    pub use super::networks::NET_COLUMNS;
    pub use super::panes::{HOST_COLUMNS, INSTANCE_COLUMNS};
    pub use super::tasks::TASK_COLUMNS;
}

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Clear};

use crate::action::Pane;
use crate::config::theme::Theme;
use crate::console::help::popup as help_popup;
use crate::console::layout::areas;
use crate::console::model::Model;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    frame.render_widget(Block::new().style(theme.base), area);
    // A terminal session on screen has it all; the panes wait behind it.
    if let Some(session) = model.terminals.shown() {
        terminal::draw(model, session, theme, frame, area);
        return;
    }
    // So does a followed log; a question that comes meanwhile shows over it.
    if let Some(view) = &model.log_view {
        log_view::draw(model, view, theme, frame, area);
        if let Some(d) = &model.dialog {
            dialog::draw(model, d, theme, frame, area);
        }
        return;
    }
    let a = areas(model, area);
    header::draw(model, theme, frame, a.header);
    if model.detail {
        if let Some(d) = a.detail {
            detail::draw(model, theme, frame, d);
        }
    } else {
        match model.pane {
            Pane::Hosts => panes::hosts(model, theme, frame, a.table),
            Pane::Instances => panes::instances(model, theme, frame, a.table),
            Pane::Tasks => tasks::pane(model, theme, frame, a.table),
            Pane::Devices => devices::pane(model, theme, frame, a.table),
            Pane::Ceph => ceph::pane(model, theme, frame, a.table),
            Pane::Backups => backups::pane(model, theme, frame, a.table),
            Pane::Networks => networks::pane(model, theme, frame, a.table),
            Pane::Ha => ha::pane(model, theme, frame, a.table),
            Pane::Audit => audit::pane(model, theme, frame, a.table),
            Pane::Log => log::pane(model, theme, frame, a.table),
        }
        if let Some(d) = a.detail {
            detail::draw(model, theme, frame, d);
        }
    }
    if let Some(n) = a.notice {
        status::notice(model, theme, frame, n);
    }
    status::draw(model, theme, frame, a.status);
    if let Some(d) = &model.dialog {
        dialog::draw(model, d, theme, frame, a.body);
    }
    if model.help {
        let popup = help_popup(area);
        frame.render_widget(Clear, popup);
        help::draw(model, theme, frame, popup);
    }
}

/// A rectangle `width` × `height` at most, centred in `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// `label value` with the label dimmed, for one-line facts.
fn fact<'a>(label: &'a str, value: impl Into<String>, theme: &Theme) -> Vec<Span<'a>> {
    vec![
        Span::styled(label, theme.dim),
        Span::raw(" "),
        Span::raw(value.into()),
        Span::raw("  "),
    ]
}
