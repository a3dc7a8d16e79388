//! Benchmark support (introspect stage): prints the catalog queries a dialect runs and counts
//! what introspection does, for tests/bench/bench.py.
//!
//! Built by the benchmark in its generated workspace (see tests/bench/gen.py), never by the
//! repository's workspace.
//!
//! ```text
//! strata-bench-tools queries sqlite|postgres   the catalog queries, each ending with `;`
//! strata-bench-tools introspect URL            `<queries run> <tables read>`
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
        _ => Err("usage: strata-bench-tools queries DIALECT | introspect URL".into()),
    }
}
