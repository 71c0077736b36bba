//! Usage on the pages: a credential's calls as charts, each with its table
//! and a CSV of the same figures. Every time is in UTC, and says so.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::clock::Timestamp;
use crate::domain::credential::Credential;
use crate::domain::ids::{CredentialId, TeamId};
use crate::domain::usage::{Counts, Granularity, Outcome};
use crate::ops::usage::{self, CredentialUsage, Series};
use crate::ops::{AppState, credentials};
use crate::web::chart::{BarChart, Layer};
use crate::web::errors::WebError;
use crate::web::extractors::TeamMember;

/// The colour of each outcome, in the order of `Outcome::ALL`.
const COLOURS: [&str; 7] = [
    "#2f6fde", "#7c3aed", "#6b7280", "#a16207", "#d2452c", "#e07b39", "#be185d",
];

/// A chart, its table and its CSV.
pub struct ChartView {
    pub svg: String,
    pub title: String,
    pub head: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub csv_href: String,
}

/// A secret version's recent calls, in words.
pub struct VersionRow {
    pub label: String,
    pub last_hour: u64,
    pub last_day: u64,
    pub refused_day: u64,
    pub last_used: String,
}

/// The credential page's usage section.
pub struct UsageSection {
    pub charts: Vec<ChartView>,
    pub versions: Vec<VersionRow>,
}

/// The outcomes seen in `s`, Allowed always first.
fn seen(s: &Series) -> Vec<Outcome> {
    let total = s.total();
    Outcome::ALL
        .into_iter()
        .filter(|o| *o == Outcome::Allowed || total.get(*o) > 0)
        .collect()
}

fn bucket_label(g: Granularity, t: Timestamp) -> String {
    let text = t.rfc3339();
    match g {
        Granularity::Day => text.get(5..10).unwrap_or_default().to_owned(),
        _ => text.get(11..16).unwrap_or_default().to_owned(),
    }
}

fn chart(id: &str, title: &str, s: &Series, csv_href: String) -> ChartView {
    let outcomes = seen(s);
    let layers: Vec<Layer> = outcomes
        .iter()
        .map(|o| Layer {
            name: o.label(),
            colour: COLOURS[o.index()],
        })
        .collect();
    let (x_label, y_label, every) = match s.granularity {
        Granularity::Day => ("day (UTC)", "calls per day", 5),
        Granularity::Hour => ("hour (UTC)", "calls per hour", 3),
        Granularity::Minute => ("minute (UTC)", "calls per minute", 10),
    };
    let bars = s
        .points
        .iter()
        .map(|(t, c)| {
            let values = outcomes.iter().map(|o| c.get(*o)).collect();
            (bucket_label(s.granularity, *t), values)
        })
        .collect();
    let svg = BarChart {
        id,
        title,
        x_label,
        y_label,
        layers: &layers,
        bars,
        label_every: every,
    }
    .svg();
    let mut head = vec!["Start (UTC)", "All calls"];
    head.extend(outcomes.iter().map(|o| o.label()));
    let rows = s
        .points
        .iter()
        .map(|(t, c)| {
            let mut row = vec![t.display(), c.total().to_string()];
            row.extend(outcomes.iter().map(|o| c.get(*o).to_string()));
            row
        })
        .collect();
    ChartView {
        svg,
        title: title.to_owned(),
        head,
        rows,
        csv_href,
    }
}

/// The usage section of credential `c`'s page.
pub fn section(state: &AppState, base: &str, c: &Credential) -> Result<UsageSection, WebError> {
    let u: CredentialUsage = usage::of_credential(state, c)?;
    let now = state.clock.now();
    let charts = vec![
        chart(
            "usage-hourly",
            "Calls per hour, last 24 hours",
            &u.hourly,
            format!("{base}/usage.csv?period=hourly"),
        ),
        chart(
            "usage-daily",
            "Calls per day, last 30 days",
            &u.daily,
            format!("{base}/usage.csv?period=daily"),
        ),
    ];
    let versions = u
        .versions
        .iter()
        .map(|v| VersionRow {
            label: if v.version == c.secret_version {
                format!("Current secret (version {})", v.version)
            } else {
                format!("Previous secret (version {})", v.version)
            },
            last_hour: v.last_hour.allowed(),
            last_day: v.last_day.allowed(),
            refused_day: v.last_day.refused(),
            last_used: v
                .last_used
                .map(|t| format!("{} ({})", usage::ago(now, t), t.display()))
                .unwrap_or_else(|| "not in the last 24 hours".to_owned()),
        })
        .collect();
    Ok(UsageSection { charts, versions })
}

#[derive(Deserialize)]
pub struct CsvQuery {
    #[serde(default)]
    period: String,
}

fn csv(s: &Series) -> String {
    let mut out = String::from("start_utc,all");
    for o in Outcome::ALL {
        out.push(',');
        out.push_str(o.as_str());
    }
    out.push('\n');
    for (t, c) in &s.points {
        out.push_str(&t.rfc3339());
        out.push(',');
        out.push_str(&c.total().to_string());
        for o in Outcome::ALL {
            out.push(',');
            out.push_str(&c.get(o).to_string());
        }
        out.push('\n');
    }
    out
}

/// A credential's usage as CSV: `period=hourly` (24 hours, the default) or
/// `daily` (30 days).
pub async fn credential_csv(
    state: web::Data<AppState>,
    m: TeamMember,
    path: web::Path<(TeamId, CredentialId)>,
    q: web::Query<CsvQuery>,
) -> Result<HttpResponse, WebError> {
    let c = credentials::team_credential(&state, m.team.id, path.1)?;
    let u = usage::of_credential(&state, &c)?;
    let (series, name) = match q.period.as_str() {
        "" | "hourly" => (&u.hourly, "hourly"),
        "daily" => (&u.daily, "daily"),
        _ => return Err(WebError::NotFound),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"credential-{}-{name}.csv\"",
                c.key_id
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(csv(series)))
}

/// A row of a ranking.
pub struct RankRow {
    pub name: String,
    pub href: String,
    pub application: String,
    pub last_day: String,
    pub last_month: String,
    pub last_used: String,
}

/// An idle credential, with its actions.
pub struct IdleRow {
    pub name: String,
    pub href: String,
    pub application: String,
    pub since: String,
    pub suspended: bool,
    pub confirm_suspend: String,
    pub confirm_delete: String,
}

#[derive(askama::Template)]
#[template(path = "teams/usage.html")]
struct TeamUsagePage {
    layout: crate::web::render::Layout,
    team_id: String,
    team_name: String,
    chart: ChartView,
    applications: Vec<RankRow>,
    credentials: Vec<RankRow>,
    idle: Vec<IdleRow>,
    can_act: bool,
}

fn calls(c: &crate::domain::usage::Counts) -> String {
    match c.refused() {
        0 => c.allowed().to_string(),
        r => format!("{} ({r} refused)", c.allowed()),
    }
}

/// Team → Usage: the team's calls per day, its applications and
/// credentials ranked by calls, and the credentials nobody used for 30 days.
pub async fn team(state: web::Data<AppState>, m: TeamMember) -> crate::web::render::PageResult {
    let now = state.clock.now();
    let u = usage::of_team(&state, &m.caller())?;
    let names: std::collections::HashMap<_, _> = state
        .store
        .applications_of(m.team.id)?
        .into_iter()
        .map(|a| (a.id, a.details.name))
        .collect();
    let app_name = |c: &Credential| names.get(&c.application).cloned().unwrap_or_default();
    let base = format!("/teams/{}", m.team.id);
    let used = |t: Option<Timestamp>| {
        t.map(|t| format!("{} ({})", usage::ago(now, t), t.display()))
            .unwrap_or_else(|| "never".to_owned())
    };
    let credentials: Vec<RankRow> = u
        .credentials
        .iter()
        .map(|x| RankRow {
            name: x.credential.name.clone(),
            href: format!("{base}/credentials/{}", x.credential.id),
            application: app_name(&x.credential),
            last_day: calls(&x.last_day),
            last_month: calls(&x.last_month),
            last_used: used(x.last_used),
        })
        .collect();
    let mut apps: Vec<(
        crate::domain::ids::ApplicationId,
        Counts,
        Counts,
        Option<Timestamp>,
    )> = Vec::new();
    for x in &u.credentials {
        let at = match apps.iter().position(|a| a.0 == x.credential.application) {
            Some(at) => at,
            None => {
                apps.push((
                    x.credential.application,
                    Counts::default(),
                    Counts::default(),
                    None,
                ));
                apps.len() - 1
            }
        };
        apps[at].1.add(&x.last_day);
        apps[at].2.add(&x.last_month);
        apps[at].3 = apps[at].3.max(x.last_used);
    }
    apps.sort_by_key(|a| {
        (
            std::cmp::Reverse(a.1.total()),
            std::cmp::Reverse(a.2.total()),
        )
    });
    let applications = apps
        .iter()
        .map(|(id, day, month, last)| RankRow {
            name: names.get(id).cloned().unwrap_or_default(),
            href: format!("{base}/applications/{id}"),
            application: String::new(),
            last_day: calls(day),
            last_month: calls(month),
            last_used: used(*last),
        })
        .collect();
    let idle = u
        .idle(now)
        .into_iter()
        .map(|x| {
            let c = &x.credential;
            let say = |verb: &str| {
                let (heading, message, _) = super::credential_actions::question(verb, c);
                super::confirm::dialog((heading, message))
            };
            IdleRow {
                name: c.name.clone(),
                href: format!("{base}/credentials/{}", c.id),
                application: app_name(c),
                since: match x.last_used {
                    Some(t) => format!("last used {}", usage::ago(now, t)),
                    None => format!("never used; created {}", usage::ago(now, c.created_at)),
                },
                suspended: c.desired == crate::domain::credential::Desired::Inactive,
                confirm_suspend: say("suspend"),
                confirm_delete: say("delete"),
            }
        })
        .collect();
    crate::web::render::page(&TeamUsagePage {
        layout: crate::web::render::Layout::new(&m.who.0, format!("Usage — {}", m.team.name)),
        team_id: m.team.id.to_string(),
        team_name: m.team.name.to_string(),
        chart: chart(
            "team-daily",
            "The team's calls per day, last 30 days",
            &u.daily,
            format!("{base}/usage.csv"),
        ),
        applications,
        credentials,
        idle,
        can_act: m.role.can_act(),
    })
}

/// The team's calls per day as CSV.
pub async fn team_csv(state: web::Data<AppState>, m: TeamMember) -> Result<HttpResponse, WebError> {
    let u = usage::of_team(&state, &m.caller())?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"team-daily.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(csv(&u.daily)))
}
