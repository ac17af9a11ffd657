//! Drawing: `draw(&Model, &Theme, &mut Frame)` reads the model and never changes it, awaits or
//! touches the network. One generic table serves every tabular pane; each pane supplies columns
//! and a detail view.

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
mod networks;
mod panes;
mod status;
mod table;
mod tasks;
mod widgets;

pub use table::{Column, Fitted, fit};

/// Every pane's columns, as the screen draws them (and tests check them).
pub mod columns {
    pub use super::backups::BACKUP_COLUMNS;
    pub use super::ceph::CEPH_COLUMNS;
    pub use super::devices::DEVICE_COLUMNS;
    pub use super::ha::HA_COLUMNS;
    pub use super::networks::NET_COLUMNS;
    pub use super::panes::{HOST_COLUMNS, INSTANCE_COLUMNS};
    pub use super::tasks::TASK_COLUMNS;
}

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Clear};

use crate::app::model::Model;
use crate::app::pane::Pane;
use crate::config::theme::Theme;

/// A terminal this wide shows the detail beside the table.
const SIDE_DETAIL_WIDTH: u16 = 140;
/// A terminal this tall (and not wide enough for the side) shows the detail below the table.
const BELOW_DETAIL_HEIGHT: u16 = 40;
/// Less than this and a detail panel below says too little to be worth the space.
const MIN_DETAIL_HEIGHT: u16 = 9;

/// Where each part of the screen goes.
struct Areas {
    header: Rect,
    body: Rect,
    /// The table, when the body shows one.
    table: Rect,
    detail: Option<Rect>,
    notice: Option<Rect>,
    status: Rect,
}

fn header_height(model: &Model) -> u16 {
    2 + u16::from(model.simulated.is_some())
}

fn areas(model: &Model, area: Rect) -> Areas {
    let notice = u16::from(!model.notices.is_empty() || !model.alerts.is_empty());
    let [header, body, notice_area, status] = Layout::vertical([
        Constraint::Length(header_height(model)),
        Constraint::Min(3),
        Constraint::Length(notice),
        Constraint::Length(1),
    ])
    .areas(area);
    let tabular = model.table().is_some();
    let (table, detail) = if !tabular || model.detail {
        (body, tabular.then_some(body))
    } else if body.width >= SIDE_DETAIL_WIDTH {
        let [t, d] = Layout::horizontal([Constraint::Fill(3), Constraint::Fill(2)]).areas(body);
        (t, Some(d))
    } else if area.height >= BELOW_DETAIL_HEIGHT {
        let [t, d] = Layout::vertical([Constraint::Fill(1), Constraint::Length(17)]).areas(body);
        (t, Some(d))
    } else if let Some(rows) = short_table(model, body.height) {
        // Few rows in a small terminal: the detail takes the space they leave.
        let [t, d] = Layout::vertical([Constraint::Length(rows), Constraint::Fill(1)]).areas(body);
        (t, Some(d))
    } else {
        (body, None)
    };
    Areas {
        header,
        body,
        table,
        detail,
        notice: (notice > 0).then_some(notice_area),
        status,
    }
}

/// The height of a table short enough to leave room for a useful detail below it.
fn short_table(model: &Model, body: u16) -> Option<u16> {
    let rows = u16::try_from(model.table()?.visible.len()).ok()?;
    let height = rows.max(1) + chrome_rows(model);
    (body.saturating_sub(height) >= MIN_DETAIL_HEIGHT).then_some(height)
}

/// Rows of a pane's table area that are not data: the title line and the column header, and the
/// Ceph pane's summary above them.
fn chrome_rows(model: &Model) -> u16 {
    match model.pane {
        Pane::Ceph => table::CHROME_ROWS + ceph::SUMMARY_ROWS,
        Pane::Backups => table::CHROME_ROWS + backups::summary_rows(model),
        Pane::Ha => table::CHROME_ROWS + ha::SUMMARY_ROWS,
        Pane::Hosts => table::CHROME_ROWS + datacenter::rows(model),
        _ => table::CHROME_ROWS,
    }
}

/// Rows of data the table shows at the model's terminal size (for paging and scrolling).
pub fn table_height(model: &Model) -> usize {
    let (w, h) = model.size;
    let a = areas(model, Rect::new(0, 0, w, h));
    usize::from(a.table.height.saturating_sub(chrome_rows(model)))
}

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    frame.render_widget(Block::new().style(theme.base), area);
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
        let popup = centered(area, 100, area.height.saturating_sub(2));
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
