//! Stage 8, CLI (end to end): the rolling-deploy gate: `models --snapshot` writes the release's
//! models; `compat --against` passes an additive change, fails a dropped column and a new NOT
//! NULL column without a default naming the revision, offline and against the database;
//! `upgrade --compat` refuses the breaking revision with nothing run.

mod common;

use common::{Variant, Workdir};
use strata::dialect::DialectKind;
use strata::testing::TestDb;

use Variant::{Base, Phone};

#[tokio::test]
async fn the_gate_from_snapshot_to_upgrade() {
    for kind in [DialectKind::Sqlite, DialectKind::Postgres] {
        let tdb = TestDb::new(kind, "compat_e2e").await;
        let w = Workdir::new("compat", Some(&tdb.url));
        w.run(Base, &["init"]).ok();
        let first = w.run(Base, &["migrate", "-m", "users"]).generated();
        w.run(Base, &["upgrade"]).ok();
        // Release 1's models.
        let snapshot = w.path("release-1.json");
        let snap = snapshot.to_string_lossy().into_owned();
        let out = w
            .run(Base, &["models", "--snapshot", &snap])
            .ok()
            .join("\n");
        assert!(out.contains("(1 models)"), "{out}");
        let json = w.run(Base, &["models", "--json"]).ok().join("\n");
        assert!(json.contains("\"format\": \"strata-models/1\""), "{json}");

        // Release 2 adds a nullable column: release 1 keeps working.
        let second = w.run(Phone, &["migrate", "-m", "phone"]).generated();
        let ok = w
            .run(Phone, &["compat", "--against", &snap])
            .ok()
            .join("\n");
        assert!(ok.contains("keeps working at head"), "{ok}");

        // A hand-written revision drops `email` and adds a required `plan`.
        let third = "0c0000000003";
        std::fs::write(
            w.path(&format!("migrations/versions/{third}_contract.toml")),
            format!(
                "revision = \"{third}\"\ndown_revision = \"{second}\"\nmessage = \"contract\"\n\n\
                 [[upgrade]]\nop = \"drop_column\"\ntable = \"users\"\n\
                 column = {{ name = \"email\", type = \"varchar(120)\" }}\n\n\
                 [[upgrade]]\nop = \"add_column\"\ntable = \"users\"\n\
                 column = {{ name = \"plan\", type = \"text\" }}\n"
            ),
        )
        .expect("write");
        w.run(Phone, &["hash"]).ok();
        let run = w.run(Phone, &["compat", "--against", &snap]);
        assert_eq!(run.code, 1, "{kind}: {run:#?}");
        assert!(
            run.stdout.contains(&format!(
                "users.email: the column is gone (dropped or renamed); the previous release \
                 still reads it (revision {third};"
            )) && run
                .stdout
                .contains(&format!("users.plan: a NOT NULL column without a default: the previous release's inserts fail (revision {third};")),
            "{kind}: {run:#?}"
        );
        // Up to the additive revision only: fine.
        w.run(Phone, &["compat", "--against", &snap, &second]).ok();
        // Against the database: the same findings, from its pending revisions.
        let live = w.run(Phone, &["compat", "--against", &snap, "--database"]);
        assert_eq!(live.code, 1, "{kind}: {live:#?}");
        assert!(live.stdout.contains("users.email"), "{kind}: {live:#?}");

        // `upgrade --compat` refuses before running anything.
        let err = w
            .run(Phone, &["upgrade", "--compat", &snap])
            .error("would break the app built from");
        assert!(
            err.contains("users.email") && err.contains("nothing was run"),
            "{err}"
        );
        assert!(w.run(Phone, &["current"]).ok()[0].starts_with(&first));
        // Up to the compatible revision it runs.
        w.run(Phone, &["upgrade", &second, "--compat", &snap]).ok();
        assert!(w.run(Phone, &["current"]).ok()[0].starts_with(&second));

        // A broken snapshot is an error naming the file.
        std::fs::write(&snapshot, "{\"format\": \"nope\"}").expect("write");
        w.run(Phone, &["compat", "--against", &snap])
            .error("release-1.json: format `nope`");
    }
}
