//! `business_hours`: are we open? Opening hours per weekday in a timezone, closed dates
//! (holidays) and an optional date range. Either branches (`in_hours`/`out_of_hours`) or,
//! with `wait_until_open`, parks the run until the next opening — computed in local time,
//! so daylight-saving changes move the opening with the clock on the wall.

use super::{KindInfo, PortSpec, StepKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::machine::{Effect, Input, StepContext, Transition, Wait};
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// How far ahead to look for the next opening.
const SEARCH_DAYS: i64 = 370;

pub const INFO: KindInfo = KindInfo {
    name: "business_hours",
    title: "Business hours",
    description: "Branch on opening hours per weekday (with timezone, holidays and a date range), or wait until open.",
    category: "logic",
    ports: &[("in_hours", "open now (or once open, with wait_until_open)"), ("out_of_hours", "closed now")],
    outputs: &[("in_hours", "whether it was open when the step ran")],
};

/// Opening hours per weekday: each a list of `"09:00-17:00"` ranges. A missing day is closed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeekHours {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mon: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tue: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wed: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thu: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fri: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sat: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sun: Vec<TimeRange>,
}

impl WeekHours {
    fn day(&self, d: Weekday) -> &[TimeRange] {
        match d {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }
}

/// `"09:00-17:00"`; the end may be `24:00`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(with = "String")]
pub struct TimeRange {
    pub start: NaiveTime,
    /// `None` means midnight at the end of the day (`24:00`).
    pub end: Option<NaiveTime>,
    text: String,
}

impl TimeRange {
    /// Parses `HH:MM-HH:MM`.
    pub fn parse(text: &str) -> Result<TimeRange, String> {
        let bad = || format!("`{text}` is not an opening range; write it like `09:00-17:00`");
        let (a, b) = text.split_once('-').ok_or_else(bad)?;
        let start = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| bad())?;
        let end = match b.trim() {
            "24:00" => None,
            t => Some(NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| bad())?),
        };
        if end.is_some_and(|e| e <= start) {
            return Err(format!("`{text}` ends before it starts; split ranges that cross midnight in two"));
        }
        Ok(TimeRange { start, end, text: text.to_owned() })
    }

    fn contains(&self, t: NaiveTime) -> bool {
        t >= self.start && self.end.is_none_or(|e| t < e)
    }
}

impl Serialize for TimeRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for TimeRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        TimeRange::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Inclusive dates outside which the business counts as closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Configuration of a `business_hours` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    /// An IANA timezone such as `Europe/Berlin`; the workspace's when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Opening hours per weekday. Leave it out only with `between`, to be open all day on
    /// the days in that range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<WeekHours>,
    /// Days closed all day (holidays).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closed_dates: Vec<NaiveDate>,
    /// Only open between these dates (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between: Option<DateRange>,
    /// Instead of branching when closed, wait until the next opening and leave by `in_hours`.
    #[serde(default)]
    pub wait_until_open: bool,
}

impl BusinessHours {
    fn tz(&self, ctx: &StepContext<'_>) -> Tz {
        self.timezone.as_deref().and_then(|t| t.parse().ok()).unwrap_or(ctx.timezone)
    }

    fn open_on(&self, date: NaiveDate) -> bool {
        !self.closed_dates.contains(&date) && self.between.as_ref().is_none_or(|r| date >= r.from && date <= r.to)
    }

    /// Is the business open at `at`?
    pub fn is_open(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let local = at.with_timezone(&tz);
        if !self.open_on(local.date_naive()) {
            return false;
        }
        match &self.hours {
            None => true,
            Some(week) => week.day(local.weekday()).iter().any(|r| r.contains(local.time())),
        }
    }

    /// The next moment after `after` at which the business opens, if any within a year.
    pub fn next_opening(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let today = after.with_timezone(&tz).date_naive();
        for offset in 0..SEARCH_DAYS {
            let date = today + Duration::days(offset);
            if !self.open_on(date) {
                continue;
            }
            let starts: Vec<NaiveTime> = match &self.hours {
                None => vec![NaiveTime::MIN],
                Some(week) => {
                    let mut s: Vec<NaiveTime> = week.day(date.weekday()).iter().map(|r| r.start).collect();
                    s.sort();
                    s
                }
            };
            for start in starts {
                let instant = resolve_local(tz, date.and_time(start));
                if instant > after {
                    return Some(instant);
                }
            }
        }
        None
    }
}

/// A wall-clock time to an instant. In the autumn overlap the first occurrence counts; a
/// time skipped by the spring jump (02:30 in a 02:00→03:00 gap) opens when the gap ends.
fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Walk forward minute by minute to the end of the gap (gaps are at most a few hours).
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            local.and_utc()
        }
    }
}

impl StepKind for BusinessHours {
    fn ports(&self) -> Vec<PortSpec> {
        if self.wait_until_open {
            vec![PortSpec::optional("in_hours", "Open")]
        } else {
            vec![PortSpec::optional("in_hours", "Open"), PortSpec::optional("out_of_hours", "Closed")]
        }
    }

    fn outputs(&self) -> Vec<String> {
        vec!["in_hours".into()]
    }

    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        let tz = self.tz(ctx);
        let open = self.is_open(ctx.now, tz);
        let record = vec![Effect::SetOutput { name: "in_hours".into(), value: json!(open) }];
        if open {
            return Transition::go("in_hours", record);
        }
        if !self.wait_until_open {
            return Transition::go("out_of_hours", record);
        }
        match self.next_opening(ctx.now, tz) {
            Some(at) => Transition::wait(Wait::Timer { at }, json!({"opens_at": at}), record),
            None => Transition::fail(format!("step `{}`: no opening hours in the next year", ctx.step_id)),
        }
    }

    fn resume(&self, _state: &Value, input: &Input, _ctx: &StepContext<'_>) -> Transition {
        match input {
            Input::TimerFired => Transition::go("in_hours", Vec::new()),
            other => Transition::fail(format!("business_hours cannot handle {other:?}")),
        }
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        if let Some(tz) = &self.timezone {
            if tz.parse::<Tz>().is_err() {
                out.push(
                    Diagnostic::error(Code::InvalidValue, "/timezone", format!("unknown timezone `{tz}`"))
                        .with_help("use an IANA name such as `Europe/Berlin` or `America/New_York`"),
                );
            }
        }
        if self.hours.is_none() && self.between.is_none() {
            out.push(
                Diagnostic::error(Code::MissingField, "/hours", "give opening `hours` (or a `between` date range)")
                    .with_help("for example `hours: { mon: [\"09:00-17:00\"], tue: [\"09:00-17:00\"] }`"),
            );
        }
        if let Some(r) = &self.between {
            if r.from > r.to {
                out.push(Diagnostic::error(Code::InvalidValue, "/between", "`from` is after `to`"));
            }
        }
        if let Some(week) = &self.hours {
            let days = [&week.mon, &week.tue, &week.wed, &week.thu, &week.fri, &week.sat, &week.sun];
            if days.iter().all(|d| d.is_empty()) {
                out.push(Diagnostic::error(
                    Code::InvalidValue,
                    "/hours",
                    "no opening hours on any day; remove `hours` to be open all day",
                ));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::machine::Next;

    fn office() -> BusinessHours {
        let c = config(
            "business_hours",
            json!({
                "timezone": "Europe/Berlin",
                "hours": {"mon": ["09:00-17:00"], "tue": ["09:00-12:00", "13:00-17:00"], "wed": ["09:00-17:00"],
                          "thu": ["09:00-17:00"], "fri": ["09:00-17:00"], "sun": ["02:30-04:00"]},
                "closed_dates": ["2026-12-25"]
            }),
        );
        match c {
            super::super::StepConfig::BusinessHours(b) => b,
            _ => unreachable!(),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn open_and_closed() {
        let b = office();
        let berlin = chrono_tz::Europe::Berlin;
        for (at, open) in [
            ("2026-11-23T08:00:00Z", true),  // Monday 09:00 CET
            ("2026-11-23T07:59:59Z", false), // Monday 08:59:59
            ("2026-11-23T16:00:00Z", false), // Monday 17:00, the end is exclusive
            ("2026-11-24T11:30:00Z", false), // Tuesday lunch 12:30
            ("2026-11-24T12:00:00Z", true),  // Tuesday 13:00
            ("2026-11-21T10:00:00Z", false), // Saturday
            ("2026-12-25T10:00:00Z", false), // Christmas, a Friday
            ("2026-07-06T07:30:00Z", true),  // Monday 09:30 CEST: summer time is UTC+2
        ] {
            assert_eq!(b.is_open(utc(at), berlin), open, "{at}");
        }
    }

    #[test]
    fn next_opening_follows_the_wall_clock_across_dst() {
        let b = office();
        let berlin = chrono_tz::Europe::Berlin;
        // Friday 2026-10-23 18:00 CEST → Sunday 02:30, which happens twice on 2026-10-25 (clocks go
        // back from 03:00 to 02:00): the first one counts, 02:30 CEST = 00:30 UTC.
        assert_eq!(b.next_opening(utc("2026-10-23T16:00:00Z"), berlin), Some(utc("2026-10-25T00:30:00Z")));
        // Sunday afternoon after the change → Monday 09:00 CET = 08:00 UTC.
        assert_eq!(b.next_opening(utc("2026-10-25T13:00:00Z"), berlin), Some(utc("2026-10-26T08:00:00Z")));
        // A week earlier, in summer time, the same Monday opening is at 07:00 UTC.
        assert_eq!(b.next_opening(utc("2026-10-18T13:00:00Z"), berlin), Some(utc("2026-10-19T07:00:00Z")));
        // Sunday 2026-03-29 02:30 does not exist in Berlin (02:00 → 03:00): it opens at 03:00 CEST.
        assert_eq!(b.next_opening(utc("2026-03-28T20:00:00Z"), berlin), Some(utc("2026-03-29T01:00:00Z")));
        // Christmas Friday is skipped: Thursday evening → Sunday 02:30 (CET) → Monday.
        assert_eq!(b.next_opening(utc("2026-12-24T17:00:00Z"), berlin), Some(utc("2026-12-27T01:30:00Z")));
    }

    #[test]
    fn branches_or_waits() {
        let vars = json!({});
        let monday_morning = utc("2026-11-23T09:30:00Z");
        let c = super::super::StepConfig::BusinessHours(office());
        let t = with_ctx_at(&vars, &[], 1, monday_morning, |ctx| c.behaviour().start(ctx));
        assert_eq!(port(&t), "in_hours");
        assert_eq!(output(&t, "in_hours"), Some(&json!(true)));
        let saturday = now();
        let c = super::super::StepConfig::BusinessHours(office());
        let t = with_ctx_at(&vars, &[], 1, saturday, |ctx| c.behaviour().start(ctx));
        assert_eq!(port(&t), "out_of_hours");
        assert_eq!(output(&t, "in_hours"), Some(&json!(false)));
        let mut waiting = office();
        waiting.wait_until_open = true;
        let c = super::super::StepConfig::BusinessHours(waiting);
        let t = with_ctx_at(&vars, &[], 1, saturday, |ctx| c.behaviour().start(ctx));
        // Saturday → Sunday 02:30 CET = 01:30 UTC.
        assert!(
            matches!(&t.next, Next::Wait { wait: Wait::Timer { at }, .. } if *at == utc("2026-11-22T01:30:00Z")),
            "{t:?}"
        );
        let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().resume(&json!({}), &Input::TimerFired, ctx));
        assert_eq!(port(&t), "in_hours");
    }

    #[test]
    fn date_range_and_timezone_checks() {
        let c = config(
            "business_hours",
            json!({"timezone": "Mars/Olympus", "between": {"from": "2026-12-01", "to": "2026-11-01"}}),
        );
        let mut out = Vec::new();
        c.behaviour().check(&mut out);
        assert_eq!(out.len(), 2);
        assert!(StepConfigParse::bad(json!({"hours": {"mon": ["17:00-09:00"]}})));
        assert!(StepConfigParse::bad(json!({"hours": {"mon": ["9 to 5"]}})));
    }

    struct StepConfigParse;
    impl StepConfigParse {
        fn bad(v: Value) -> bool {
            matches!(super::super::StepConfig::parse("business_hours", v), Some(Err(_)))
        }
    }
}
