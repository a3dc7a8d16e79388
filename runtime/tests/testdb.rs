//! The test-database support itself: both dialects give a fresh, empty, connectable database.

use sqlx::Executor;
use strata::testing::TestDb;

#[tokio::test]
async fn fresh_databases_on_both_dialects() {
    for kind in strata::testing::DIALECTS {
        let db = TestDb::new(kind, "smoke").await;
        let mut c = db.connect().await;
        assert_eq!(c.dialect().name(), kind.name());
        c.conn()
            .execute("CREATE TABLE t (x INTEGER)")
            .await
            .expect("create");
        c.conn()
            .execute("INSERT INTO t VALUES (1)")
            .await
            .expect("insert");
    }
}
