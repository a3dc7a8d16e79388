//! Benchmark support (introspect stage): prints the catalog queries a dialect runs and counts
//! what introspection does, for tests/bench/bench.py.
//!
//! Built by the benchmark in its generated workspace (see tests/bench/gen.py), never by the
//! repository's workspace.
//!
//! ```text
//! strata-bench-tools queries DIALECT|URL       the catalog queries, each ending with `;`
//!                                              (with a URL: the dialect detected there)
//! strata-bench-tools introspect URL            `<queries run> <tables read>`
//! strata-bench-tools run-sql URL FILE [N]      runs a SQL file through Strata's driver: at
//!                                              once, or N statements per call (as `upgrade`)
//! ```

use std::process::ExitCode;

use strata::dialect::{Catalog, DialectKind, IntrospectOptions};
use strata::testing::introspect;

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
        ["queries", dialect_or_url] => {
            // With a URL, the dialect detected on that server (MySQL's flavour).
            let d = if dialect_or_url.contains("://") {
                let db = strata::testing::connect(dialect_or_url)
                    .await
                    .map_err(|e| e.to_string())?;
                let d = db.dialect();
                db.close().await;
                d
            } else {
                let kind: DialectKind = dialect_or_url.parse().map_err(|e| format!("{e}"))?;
                kind.dialect().map_err(|e| e.to_string())?
            };
            for q in d.catalog_queries(&IntrospectOptions::default()) {
                println!("{q};");
            }
            Ok(())
        }
        ["introspect", url] => {
            let mut db = strata::testing::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            let d = db.dialect();
            let got = introspect(db.conn(), d, &IntrospectOptions::default())
                .await
                .map_err(|e| e.to_string())?;
            println!("{} {}", got.queries, got.schema.tables.len());
            Ok(())
        }
        ["run-sql", url, file, rest @ ..] => {
            // The driver alone running the SQL `upgrade` would run: the whole file in one
            // call, or N statements per call (the executor's batches); this separates the
            // driver's cost per statement from Strata's own work and the database's.
            let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
            let per_call: usize = match rest {
                [] => usize::MAX,
                [n] => n.parse().map_err(|_| format!("not a number: {n}"))?,
                _ => return Err("run-sql URL FILE [N]".into()),
            };
            // `upgrade --sql` ends every statement with `;` at the end of a line.
            let mut statements = Vec::new();
            let mut current = String::new();
            for line in text.lines() {
                current.push_str(line);
                current.push('\n');
                if line.ends_with(';') {
                    statements.push(std::mem::take(&mut current));
                }
            }
            let mut db = strata::testing::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            for chunk in statements.chunks(per_call.max(1)) {
                sqlx::Executor::execute(db.conn(), sqlx::raw_sql(&chunk.concat()))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        _ => Err(
            "usage: strata-bench-tools queries DIALECT | introspect URL | run-sql URL FILE [N]"
                .into(),
        ),
    }
}
