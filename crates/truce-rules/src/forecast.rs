//! The risk burn-down: open risk week by week if the current plan is carried out.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Planner;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RiskWeek {
    /// Start of the week (UTC).
    #[ts(type = "string")]
    #[serde(with = "crate::instant")]
    pub week_start: DateTime<Utc>,
    /// Items still open at the start of the week.
    pub open_items: u32,
    /// Their summed risk (see `PlanItem::risk`).
    pub open_risk: f64,
    /// Open items already past their due date at the start of the week.
    pub overdue_items: u32,
}

impl Planner {
    /// `weeks` weeks from `now`: an item counts as open until its occurrence ends; unplaced
    /// and settled items are open (unplaced) or gone (settled) throughout.
    pub fn forecast(&self, weeks: u32) -> Vec<RiskWeek> {
        let fixed_at: Vec<Option<DateTime<Utc>>> = (0..self.items.len())
            .map(|i| self.book.slot_of(i).map(|s| self.slots[s].end_utc))
            .collect();
        (0..weeks)
            .map(|w| {
                let at = self.now + Duration::weeks(w as i64);
                let mut week = RiskWeek {
                    week_start: at,
                    open_items: 0,
                    open_risk: 0.0,
                    overdue_items: 0,
                };
                for (i, item) in self.items.iter().enumerate() {
                    if item.settled || fixed_at[i].is_some_and(|t| t <= at) {
                        continue;
                    }
                    week.open_items += 1;
                    week.open_risk += item.risk;
                    week.overdue_items += u32::from(item.due.is_some_and(|d| d < at));
                }
                week
            })
            .collect()
    }
}
