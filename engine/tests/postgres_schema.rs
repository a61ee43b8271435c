//! The PostgreSQL migrations (`migrations/postgres`) apply to a real PostgreSQL and describe
//! the same store as SQLite's: the same version numbers, tables and columns, with matching
//! types. Each run uses a scratch database of its own, dropped afterwards. Without
//! `SWITCHBOARD_TEST_DATABASE_URL` (`.ci/run` always sets it) the test says loudly that it
//! was skipped.

use sqlx::{Connection, Row};
use std::collections::BTreeMap;
use std::path::Path;

/// table → column → type class (`integer` or `text`).
type Shape = BTreeMap<String, BTreeMap<String, String>>;

fn migrations(backend: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(backend)
}

fn class(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "integer".into()
    } else {
        t
    }
}

async fn sqlite_shape() -> (Shape, Vec<i64>) {
    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:").await.expect("sqlite");
    let migrator = sqlx::migrate::Migrator::new(migrations("sqlite")).await.expect("sqlite migrations");
    migrator.run(&mut conn).await.expect("sqlite migrates");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("tables");
    let mut shape = Shape::new();
    for table in tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA table_info({table})")))
            .fetch_all(&mut conn)
            .await
            .expect("columns");
        let columns = rows.iter().map(|r| (r.get::<String, _>("name"), class(&r.get::<String, _>("type")))).collect();
        shape.insert(table, columns);
    }
    (shape, migrator.iter().map(|m| m.version).collect())
}

#[tokio::test]
async fn postgres_migrations_describe_the_same_store_as_sqlite() {
    let Ok(url) = std::env::var("SWITCHBOARD_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: SWITCHBOARD_TEST_DATABASE_URL is unset; the PostgreSQL schema was not checked");
        return;
    };
    let scratch = format!("switchboard_schema_{}_{}", std::process::id(), chrono::Utc::now().timestamp_millis());
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {scratch}"))).execute(&mut admin).await.expect("scratch");
    let scratch_url = match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{scratch}"),
        None => panic!("the database URL has no database name: {url}"),
    };
    let result = async {
        let mut conn = sqlx::PgConnection::connect(&scratch_url).await.expect("scratch database");
        let migrator = sqlx::migrate::Migrator::new(migrations("postgres")).await.expect("postgres migrations");
        migrator.run(&mut conn).await.expect("postgres migrates");
        let rows = sqlx::query(
            "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS d FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
        )
        .fetch_all(&mut conn)
        .await
        .expect("columns");
        let mut shape = Shape::new();
        for r in rows {
            shape.entry(r.get("t")).or_default().insert(r.get("c"), class(&r.get::<String, _>("d")));
        }
        conn.close().await.expect("close");
        (shape, migrator.iter().map(|m| m.version).collect::<Vec<i64>>())
    }
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {scratch}"))).execute(&mut admin).await.expect("drop");
    let (postgres, pg_versions) = result;
    let (sqlite, sqlite_versions) = sqlite_shape().await;
    assert_eq!(pg_versions, sqlite_versions, "the same migration version numbers");
    assert_eq!(postgres, sqlite, "the same tables, columns and types");
}
