//! The database behind the engine: SQLite (embedded, one process) or PostgreSQL (several
//! processes sharing the work), chosen by the URL. Everything above this file speaks one SQL
//! through sqlx's `Any` driver: numbered placeholders (`$1`, which SQLite reads too), standard
//! functions, and the few dialect differences behind [`Backend`] methods.
//!
//! - [`open`] — connects, sets SQLite's pragmas, runs the backend's migrations.
//! - [`Sql`] — a multi-row statement builder that writes each backend's placeholders
//!   (sqlx's `QueryBuilder` writes `?` only, which PostgreSQL does not read).
//! - [`redact`] — a database URL without its credentials, for logs and errors.
//! - [`cache`] — the unit of work of one write transaction (rows read once, written back in
//!   multi-row statements before the commit).
//! - [`records`] — the row types (contacts, conversations, runs, agents) and their SQL.
//! - [`time`] — the store's time format (milliseconds since the epoch).
//! - `error.rs` — [`Error`]: what the store can fail with, and whose fault ([`Fault`]).
//! - [`begin`], [`commit`], [`rollback`], [`acquire`] — transactions and connections.
//!
//! One file per table (or group of tables), each taking a [`Pool`] or a [`Conn`]:
//! - [`agents`] — `agents`, `teams`, `agent_teams` as operators set them.
//! - [`analytics`] — `runs` and `run_journal` read for the canvas's figures.
//! - [`assignment_queue`] — `runs` waiting for an agent.
//! - [`backlog`] — `event_queue`, `timers`, `outbox` counted together for the metrics.
//! - [`channel_connections`] — the connected channel accounts.
//! - [`channel_usage`] — messages counted against a connection's monthly quota.
//! - [`contact_addresses`] — a contact's address on a channel, for sending.
//! - [`conversations`] — the inbox's reads (contacts, transcripts, conversations, the
//!   assignment queue) and the rule of what an agent may see.
//! - [`dead_letters`] — `event_failures`.
//! - [`delivery_statuses`] — channels' delivery statuses on `messages`, parked in
//!   `channel_statuses` until their message is known.
//! - [`idempotency`] — `idempotency_keys` of the API.
//! - [`inbox`] — `inbox`: senders' event ids already accepted (deduplication).
//! - [`messages`] — `messages`' delivery status as the outbox learns it.
//! - [`outbox`] — `outbox`: leases, outcomes, retries.
//! - [`outbox_payload`] — what a queued message's outbox row carries; dropping unsent ones.
//! - [`peers`] — `workers` and PostgreSQL's LISTEN/NOTIFY.
//! - [`queue`] — `event_queue`: accepted events waiting, claims, savepoints.
//! - [`queued_triggers`] — starts put off until the contact's current run ends.
//! - [`retention`] — history past its retention (finished outbox rows, ended runs and their
//!   journals, transcripts, idempotency keys, parked statuses), deleted a page at a time.
//! - [`runs`] — `runs` and `run_journal` as listings and operators ask them.
//! - [`schedules`] — `schedules`: cron firings and where they stand.
//! - [`secrets`] — `secrets`, `webhook_secrets` and every sealed-text column.
//! - [`settings`] — `settings` (the installation's id).
//! - [`test_sessions`] — the editor's test chats and their clocks.
//! - [`timers`] — `timers` due.
//! - [`tokens`] — `api_tokens` rows.
//! - [`workflows`] — `workflows`, `workflow_versions`, `workflow_drafts`.

pub mod agents;
pub mod analytics;
pub mod assignment_queue;
pub mod backlog;
pub mod cache;
pub mod channel_connections;
pub mod channel_usage;
pub mod contact_addresses;
pub mod conversations;
pub mod dead_letters;
pub mod delivery_statuses;
mod error;
pub mod idempotency;
pub mod inbox;
pub mod messages;
pub mod outbox;
pub mod outbox_payload;
pub mod peers;
pub mod queue;
pub mod queued_triggers;
pub mod records;
pub mod retention;
pub mod runs;
pub mod schedules;
pub mod secrets;
pub mod settings;
pub mod test_sessions;
pub mod time;
pub mod timers;
pub mod tokens;
pub mod workflows;

pub use error::{Error, Fault};

use sqlx::any::{AnyArguments, AnyPoolOptions};
use sqlx::{Arguments, Executor};
use std::time::Duration;

/// The driver every query goes through.
pub type Db = sqlx::Any;
/// One connection (or a transaction's).
pub type Conn = sqlx::AnyConnection;
/// The pool.
pub type Pool = sqlx::AnyPool;
/// A transaction (it derefs to a [`Conn`]); end it with [`commit`] or [`rollback`].
pub type Tx = sqlx::Transaction<'static, Db>;
/// A connection taken from the pool (it derefs to a [`Conn`]).
pub type PooledConn = sqlx::pool::PoolConnection<Db>;

/// Starts a transaction with the backend's own statement ([`Backend::begin_statement`]).
pub async fn begin(pool: &Pool, backend: Backend) -> Result<Tx, Error> {
    Ok(pool.begin_with(backend.begin_statement()).await?)
}

/// Commits a transaction.
pub async fn commit(tx: Tx) -> Result<(), Error> {
    Ok(tx.commit().await?)
}

/// Rolls a transaction back now (rather than when its connection is next used).
pub async fn rollback(tx: Tx) -> Result<(), Error> {
    Ok(tx.rollback().await?)
}

/// A connection of the pool, for reads outside a transaction.
pub async fn acquire(pool: &Pool) -> Result<PooledConn, Error> {
    Ok(pool.acquire().await?)
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// What changed, as live updates announce it (the editor's test chat and the agent console
/// listen to these over server-sent events). The unit of work ([`cache::Cache::changes`])
/// collects them as it writes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A run started, moved, waits or ended.
    Run { run_id: i64, workflow_id: String, contact_id: i64, status: String, step: Option<String> },
    /// A contact's transcript has new messages (or a message changed status).
    Messages { contact_id: i64 },
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend of a database URL (`sqlite:…`, `postgres://…`, `postgresql://…`).
    pub fn of(url: &str) -> Result<Backend, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(format!("`{}` is neither a sqlite: nor a postgres:// URL", redact(url)))
        }
    }

    /// The backend a connection talks to.
    pub fn of_conn(conn: &Conn) -> Backend {
        if conn.backend_name() == "PostgreSQL" {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// How a write transaction starts. SQLite takes its single write lock at once, so a
    /// transaction never has to upgrade from reading to writing; PostgreSQL serialises work
    /// per contact with row and advisory locks instead (see `Cache::lock` in the unit of work).
    pub fn begin_statement(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }

    /// `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL; nothing on SQLite, whose single
    /// writer already owns every row it reads.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// An aggregate joining texts with a separator: `group_concat` / `string_agg`.
    pub fn string_agg(self, expr: &str, separator: &str) -> String {
        match self {
            Backend::Sqlite => format!("group_concat({expr}, {separator})"),
            Backend::Postgres => format!("string_agg({expr}, {separator})"),
        }
    }

    /// An aggregate building a JSON object (as text) from key and value columns.
    pub fn json_object_agg(self, key: &str, value: &str) -> String {
        match self {
            Backend::Sqlite => format!("json_group_object({key}, {value})"),
            Backend::Postgres => format!("json_object_agg({key}, {value})::text"),
        }
    }

    /// The character with this code (for separators inside aggregates).
    pub fn chr(self, code: u32) -> String {
        match self {
            Backend::Sqlite => format!("char({code})"),
            Backend::Postgres => format!("chr({code})"),
        }
    }
}

/// Opens the store and brings its schema up to date.
pub async fn open(url: &str) -> Result<(Pool, Backend), Error> {
    let backend = Backend::of(url).map_err(Error::Refused)?;
    sqlx::any::install_default_drivers();
    let pool = match backend {
        Backend::Sqlite => {
            let memory = url.contains(":memory:");
            let url = if memory || url.contains("mode=") {
                url.to_owned()
            } else if url.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            AnyPoolOptions::new()
                // An in-memory database exists once per connection, so it gets exactly one.
                .max_connections(if memory { 1 } else { 4 })
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if !memory {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                        }
                        // A committed transaction survives power loss: the journal is the product.
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                        Ok(())
                    })
                })
                .connect(&url)
                .await
                .map_err(|e| unreachable_store(&url, e))?
        }
        Backend::Postgres => AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(|e| unreachable_store(url, e))?,
    };
    match backend {
        Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
        // Several processes may start at once; sqlx takes an advisory lock while migrating.
        Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
    }
    Ok((pool, backend))
}

/// A store that cannot be opened, said without the URL's credentials (a driver's message
/// may quote the URL it was given).
fn unreachable_store(url: &str, e: sqlx::Error) -> Error {
    Error::Refused(format!("cannot open the database {}: {}", redact(url), redact(&e.to_string())))
}

/// A database URL kept for later use (the PostgreSQL listener): it prints only in its
/// [`redact`]ed form, so a `Debug` of whatever holds it never shows a password.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: &str) -> DatabaseUrl {
        DatabaseUrl(url.to_owned())
    }

    /// The URL itself, for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", redact(&self.0))
    }
}

/// A database URL (or connection string) fit for logs and error messages: every credential
/// replaced by `***`. Covers the password of the userinfo (`postgres://sb:hunter2@db/sb`),
/// credential-like parameters in the query or in a libpq key=value string (`?password=`,
/// `sslpassword=`, `passfile=`, `sslkey=`, anything named like a token, key or secret), and
/// works on text that is not a valid URL (a malformed setting is logged too).
pub fn redact(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    // The userinfo: between `://` and the last `@` before any query or fragment. A password
    // may hold `/` (unencoded, as people type it), so the path is no boundary: redacting too
    // much of an odd URL is harmless, redacting too little is not.
    if let Some(scheme_end) = rest.find("://") {
        let authority_start = scheme_end + 3;
        out.push_str(&rest[..authority_start]);
        rest = &rest[authority_start..];
        let authority_end = rest.find(['?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            match rest[..at].find(':') {
                Some(colon) => {
                    out.push_str(&rest[..=colon]);
                    out.push_str("***");
                }
                None => out.push_str(&rest[..at]),
            }
            rest = &rest[at..];
        }
    }
    // key=value pairs: in a query (`?a=1&b=2`) or a libpq string (`host=db password=x`).
    let mut chars = rest.char_indices().peekable();
    let mut key_start = 0;
    while let Some((i, c)) = chars.next() {
        if is_pair_separator(c) {
            out.push_str(&rest[key_start..i + c.len_utf8()]);
            key_start = i + c.len_utf8();
            continue;
        }
        if c != '=' {
            continue;
        }
        let key = &rest[key_start..i];
        out.push_str(key);
        out.push('=');
        // The value: a quoted libpq value ('a \' b'), or up to the next separator.
        let value_start = i + 1;
        let mut value_end = rest.len();
        if rest[value_start..].starts_with('\'') {
            let mut escaped = false;
            let _ = chars.next();
            value_end = rest.len();
            for (j, q) in chars.by_ref() {
                match (escaped, q) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '\'') => {
                        value_end = j + 1;
                        break;
                    }
                    _ => {}
                }
            }
        } else {
            while let Some(&(j, v)) = chars.peek() {
                if is_pair_separator(v) {
                    value_end = j;
                    break;
                }
                let _ = chars.next();
            }
        }
        let value = &rest[value_start..value_end];
        if is_credential_key(key) && !value.is_empty() {
            out.push_str("***");
        } else {
            out.push_str(value);
        }
        key_start = value_end;
    }
    out.push_str(&rest[key_start.min(rest.len())..]);
    out
}

/// What separates key=value pairs in a query string or a libpq connection string.
fn is_pair_separator(c: char) -> bool {
    matches!(c, '?' | '&' | ';' | '#') || c.is_whitespace()
}

/// Does a connection parameter carry a credential (or point at one)? Matched loosely, so a
/// driver's new option (`sslpassword`, `passfile`, `aws_secret_access_key`) is covered.
fn is_credential_key(key: &str) -> bool {
    let key = key.trim().to_ascii_lowercase();
    ["pass", "pwd", "secret", "token", "key", "auth", "credential"].iter().any(|word| key.contains(word))
}

/// A statement assembled at run time (multi-row inserts, `IN (…)` lists, optional filters),
/// with each backend's own placeholders: `$n` on PostgreSQL, plain `?` on SQLite.
///
/// Why not `$n` on both: sqlx's SQLite driver looks up every numbered parameter's name with
/// `sqlite3_bind_parameter_name`, a linear scan, so binding a statement with n numbered
/// parameters costs O(n²). A 1,000-row insert has ~10,000 parameters; with `$n` the parked
/// benchmark spent 83 % of its time in that lookup (3.7 k instead of 25 k transitions/s).
/// Plain `?` parameters are unnamed and bound in order.
pub struct Sql {
    backend: Backend,
    text: String,
    args: AnyArguments,
    count: usize,
}

impl std::fmt::Debug for Sql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The arguments may hold secrets; the text never does.
        f.debug_struct("Sql").field("text", &self.text).field("args", &self.count).finish()
    }
}

impl Sql {
    pub fn new(backend: Backend, text: impl AsRef<str>) -> Sql {
        Sql { backend, text: text.as_ref().to_owned(), args: AnyArguments::default(), count: 0 }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: impl std::fmt::Display) -> &mut Sql {
        use std::fmt::Write;
        let _ = write!(self.text, "{text}");
        self
    }

    /// Appends a placeholder (`$n` or `?`) bound to `value`.
    pub fn push_bind<'q, T>(&mut self, value: T) -> &mut Sql
    where
        T: 'q + sqlx::Encode<'q, Db> + sqlx::Type<Db>,
    {
        self.count += 1;
        match self.backend {
            Backend::Sqlite => self.text.push('?'),
            Backend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.count.to_string());
            }
        }
        // Encoding into the Any buffer only fails for types the driver lacks, which the
        // bounds rule out at compile time.
        let _ = self.args.add(value);
        self
    }

    /// Appends `sep` between calls after the first.
    pub fn separated<'s>(&'s mut self, sep: &'static str) -> Separated<'s> {
        Separated { sql: self, sep, first: true }
    }

    /// Appends `VALUES (…), (…)` with one tuple per item.
    pub fn push_values<I, F>(&mut self, items: I, mut each: F) -> &mut Sql
    where
        I: IntoIterator,
        F: FnMut(Separated<'_>, I::Item),
    {
        self.push("VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push("(");
            each(Separated { sql: self, sep: ", ", first: true }, item);
            self.push(")");
        }
        self
    }

    /// The text so far (for tests and logs).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn build(self) -> sqlx::query::Query<'static, Db, AnyArguments> {
        sqlx::query_with(sqlx::AssertSqlSafe(self.text), self.args)
    }

    pub fn build_query_as<O>(self) -> sqlx::query::QueryAs<'static, Db, O, AnyArguments>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(sqlx::AssertSqlSafe(self.text), self.args)
    }

    pub fn build_query_scalar<O>(self) -> sqlx::query::QueryScalar<'static, Db, O, AnyArguments>
    where
        (O,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_scalar_with(sqlx::AssertSqlSafe(self.text), self.args)
    }
}

/// Pieces of a list, separated (see [`Sql::separated`] and [`Sql::push_values`]).
pub struct Separated<'s> {
    sql: &'s mut Sql,
    sep: &'static str,
    first: bool,
}

impl std::fmt::Debug for Separated<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Separated").field("sep", &self.sep).finish()
    }
}

impl Separated<'_> {
    fn separate(&mut self) {
        if !self.first {
            self.sql.push(self.sep);
        }
        self.first = false;
    }

    pub fn push(&mut self, text: impl std::fmt::Display) -> &mut Self {
        self.separate();
        self.sql.push(text);
        self
    }

    pub fn push_bind<'q, T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + sqlx::Encode<'q, Db> + sqlx::Type<Db>,
    {
        self.separate();
        self.sql.push_bind(value);
        self
    }

    pub fn push_unseparated(&mut self, text: impl std::fmt::Display) -> &mut Self {
        self.sql.push(text);
        self
    }

    pub fn push_bind_unseparated<'q, T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + sqlx::Encode<'q, Db> + sqlx::Type<Db>,
    {
        self.sql.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on_postgres_and_positional_on_sqlite() {
        let texts = [Backend::Postgres, Backend::Sqlite].map(|backend| {
            let mut q = Sql::new(backend, "SELECT id FROM runs WHERE id IN (");
            let mut sep = q.separated(", ");
            for id in [1_i64, 2, 3] {
                sep.push_bind(id);
            }
            q.push(") AND status = ").push_bind("waiting");
            let mut v = Sql::new(backend, "INSERT INTO t (a, b) ");
            v.push_values([(1_i64, "x"), (2, "y")], |mut b, (a, s)| {
                b.push_bind(a).push_bind(s);
            });
            (q.text().to_owned(), v.text().to_owned())
        });
        assert_eq!(texts[0].0, "SELECT id FROM runs WHERE id IN ($1, $2, $3) AND status = $4");
        assert_eq!(texts[0].1, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
        assert_eq!(texts[1].0, "SELECT id FROM runs WHERE id IN (?, ?, ?) AND status = ?");
        assert_eq!(texts[1].1, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
    }

    #[test]
    fn urls_name_their_backend_and_lose_their_password_in_logs() {
        assert_eq!(Backend::of("sqlite::memory:"), Ok(Backend::Sqlite));
        assert_eq!(Backend::of("postgresql://db/x"), Ok(Backend::Postgres));
        assert!(Backend::of("mysql://x").is_err());
    }

    #[test]
    fn every_credential_form_is_redacted_from_database_urls() {
        let cases = [
            // Userinfo.
            ("postgres://sb:hunter2@db:5432/sb", "postgres://sb:***@db:5432/sb"),
            ("postgresql://:hunter2@db/sb", "postgresql://:***@db/sb"),
            ("postgres://sb:hun%40ter2@db/sb", "postgres://sb:***@db/sb"),
            ("postgres://sb:p@ss:w@rd@db/sb", "postgres://sb:***@db/sb"),
            ("postgres://sb:pa/ss@db/sb", "postgres://sb:***@db/sb"),
            ("postgres://sb@db/sb", "postgres://sb@db/sb"),
            // Query parameters, alone or with others, any case.
            ("postgres://sb@db/sb?password=hunter2", "postgres://sb@db/sb?password=***"),
            (
                "postgres://db/sb?sslmode=require&PassWord=hunter2&x=1",
                "postgres://db/sb?sslmode=require&PassWord=***&x=1",
            ),
            ("postgres://db/sb?sslpassword=hunter2", "postgres://db/sb?sslpassword=***"),
            ("postgres://db/sb?passfile=/home/sb/.pgpass", "postgres://db/sb?passfile=***"),
            ("postgres://db/sb?sslkey=/k.pem&application_name=sb", "postgres://db/sb?sslkey=***&application_name=sb"),
            ("postgres://u:p1@db/sb?password=p2", "postgres://u:***@db/sb?password=***"),
            ("postgres://db/sb?auth_token=t0k#frag", "postgres://db/sb?auth_token=***#frag"),
            // libpq key=value strings (not accepted as a database, but still logged in the error).
            ("host=db user=sb password=hunter2 dbname=sb", "host=db user=sb password=*** dbname=sb"),
            ("host=db password='hunter 2' dbname=sb", "host=db password=*** dbname=sb"),
            ("host=db password='it\\'s' dbname=sb", "host=db password=*** dbname=sb"),
            // Nothing to hide.
            ("sqlite://a.db", "sqlite://a.db"),
            ("sqlite://data/sb.db?mode=rwc", "sqlite://data/sb.db?mode=rwc"),
            ("sqlite::memory:", "sqlite::memory:"),
            ("postgres://db/sb?password=", "postgres://db/sb?password="),
            ("", ""),
        ];
        for (url, expected) in cases {
            assert_eq!(redact(url), expected, "{url}");
        }
    }
}
