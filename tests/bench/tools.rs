//! Benchmark support (introspect stage): prints the catalog queries a dialect runs and counts
//! what introspection does, for tests/bench/bench.py.
//!
//! Built by the benchmark in its generated workspace (see tests/bench/gen.py), never by the
//! repository's workspace.
//!
//! ```text
//! strata-bench-tools queries sqlite|postgres   the catalog queries, each ending with `;`
//! strata-bench-tools introspect URL            `<queries run> <tables read>`
//! strata-bench-tools run-sql URL FILE          runs a SQL file through Strata's driver at once
//! ```

use std::process::ExitCode;

use strata::dialect::DialectKind;
use strata::introspect::{introspect, IntrospectOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("strata-bench-tools: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[&str]) -> Result<(), String> {
    match args {
        ["queries", dialect] => {
            let kind: DialectKind = dialect.parse().map_err(|e| format!("{e}"))?;
            let d = kind.dialect().map_err(|e| e.to_string())?;
            for q in d.catalog_queries(&IntrospectOptions::default()) {
                println!("{q};");
            }
            Ok(())
        }
        ["introspect", url] => {
            let mut db = strata::db::connect(url).await.map_err(|e| e.to_string())?;
            let d = db.kind.dialect().map_err(|e| e.to_string())?;
            let got = introspect(&mut db.conn, d, &IntrospectOptions::default())
                .await
                .map_err(|e| e.to_string())?;
            println!("{} {}", got.queries, got.schema.tables.len());
            Ok(())
        }
        ["run-sql", url, file] => {
            // The whole file in one call (one round trip to the driver's thread), for the
            // profile that separates per-statement driver overhead from the database's work.
            let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
            let mut db = strata::db::connect(url).await.map_err(|e| e.to_string())?;
            sqlx::Executor::execute(&mut db.conn, sqlx::raw_sql(&text))
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        _ => Err(
            "usage: strata-bench-tools queries DIALECT | introspect URL | run-sql URL FILE".into(),
        ),
    }
}
