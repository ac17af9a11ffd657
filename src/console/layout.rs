//! Where each part of the screen goes, as pure geometry from the console's state: the ui draws
//! into these areas, and paging and scrolling use the same table height.

use ratatui::layout::{Constraint, Layout, Rect};

use super::model::Model;
use crate::action::Pane;

/// Rows of a table that are not data: the title line and the column header.
pub const CHROME_ROWS: u16 = 2;
/// Rows the Ceph pane's summary above its table takes.
pub const CEPH_SUMMARY_ROWS: u16 = 4;
/// Rows the HA pane's summary above its table takes: quorum and the manager; the services by
/// state.
pub const HA_SUMMARY_ROWS: u16 = 2;
/// Backup jobs listed in the Backups pane's summary at most; more are counted.
pub const MAX_JOBS: usize = 4;

/// A terminal this wide shows the detail beside the table.
pub const SIDE_DETAIL_WIDTH: u16 = 140;
/// A terminal this tall (and not wide enough for the side) shows the detail below the table.
pub const BELOW_DETAIL_HEIGHT: u16 = 40;
/// Less than this and a detail panel below says too little to be worth the space.
pub const MIN_DETAIL_HEIGHT: u16 = 9;

/// Where each part of the screen goes.
pub struct Areas {
    pub header: Rect,
    pub body: Rect,
    /// The table, when the body shows one.
    pub table: Rect,
    pub detail: Option<Rect>,
    pub notice: Option<Rect>,
    pub status: Rect,
}

pub fn header_height(model: &Model) -> u16 {
    2 + u16::from(model.simulated.is_some())
}

pub fn areas(model: &Model, area: Rect) -> Areas {
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
    } else if model.detail_hidden {
        (body, None)
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
pub fn chrome_rows(model: &Model) -> u16 {
    match model.pane {
        Pane::Ceph => CHROME_ROWS + CEPH_SUMMARY_ROWS,
        Pane::Backups => CHROME_ROWS + backup_summary_rows(model),
        Pane::Ha => CHROME_ROWS + HA_SUMMARY_ROWS,
        Pane::Hosts => CHROME_ROWS + chart_rows(model),
        _ => CHROME_ROWS,
    }
}

/// Rows of data the table shows at the model's terminal size (for paging and scrolling).
pub fn table_height(model: &Model) -> usize {
    let (w, h) = model.size;
    let a = areas(model, Rect::new(0, 0, w, h));
    usize::from(a.table.height.saturating_sub(chrome_rows(model)))
}

/// The title line and two rows of two charts, each a header and three rows of bars.
const CHART_ROWS: u16 = 1 + 2 * 4;

/// Rows the charts take under the Hosts table: none on a terminal too small for a side or
/// bottom detail, where the table and the node's detail need the room.
pub fn chart_rows(model: &Model) -> u16 {
    let (w, h) = model.size;
    let roomy = w >= SIDE_DETAIL_WIDTH || h >= BELOW_DETAIL_HEIGHT;
    if model.pane == Pane::Hosts && roomy && !model.detail {
        CHART_ROWS
    } else {
        0
    }
}

/// Rows the summary takes: a line per job (a few at most) and one of storages.
pub fn backup_summary_rows(model: &Model) -> u16 {
    let jobs = model
        .snapshot()
        .and_then(|s| s.backups.get())
        .map_or(0, |d| d.jobs.len());
    let jobs = if jobs > MAX_JOBS { MAX_JOBS + 1 } else { jobs };
    u16::try_from(jobs.max(1) + 1).unwrap_or(2)
}
