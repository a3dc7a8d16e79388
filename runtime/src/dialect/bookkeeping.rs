//! Dialect layer: the SQL of Strata's own tables, `strata_version` and `strata_log`, and the row counts a downgrade preview reads.

use super::Syntax;

/// Bookkeeping: reading and writing the version rows and the audit log. Only
/// [`Bookkeeping::table_exists_sql`] has no default.
pub trait Bookkeeping: Syntax {
    /// A query returning one int8: 1 when the table named `table` exists, else 0.
    fn table_exists_sql(&self, table: &str) -> String;

    /// The query that lists the version rows (one text column).
    fn select_versions_sql(&self, table: &str) -> String {
        format!(
            "SELECT {} FROM {}",
            self.quote_ident("version_num"),
            self.quote_ident(table)
        )
    }

    /// The statement that records `revision` as a current head.
    fn insert_version_sql(&self, table: &str, revision: &str) -> String {
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.quote_ident(table),
            self.quote_ident("version_num"),
            self.quote_str(revision)
        )
    }

    /// The statement that removes `revision` from the current heads.
    fn delete_version_sql(&self, table: &str, revision: &str) -> String {
        format!(
            "DELETE FROM {} WHERE {} = {}",
            self.quote_ident(table),
            self.quote_ident("version_num"),
            self.quote_str(revision)
        )
    }

    /// The statement that appends a row to the audit log; every value is a literal.
    fn insert_log_sql(&self, table: &str, row: &[(&str, Option<String>)]) -> String {
        let cols: Vec<String> = row.iter().map(|(c, _)| self.quote_ident(c)).collect();
        let vals: Vec<String> = row
            .iter()
            .map(|(_, v)| {
                v.as_deref()
                    .map_or_else(|| "NULL".to_string(), |v| self.quote_str(v))
            })
            .collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.quote_ident(table),
            cols.join(", "),
            vals.join(", ")
        )
    }

    /// A query returning one int8: the number of rows of `table`, or with `column` the number
    /// of its non-NULL values (what a downgrade that drops them would lose).
    fn count_rows_sql(&self, table: &str, column: Option<&str>) -> String {
        format!(
            "SELECT count({}) FROM {}",
            column.map_or_else(|| "*".to_string(), |c| self.quote_ident(c)),
            self.quote_table(table)
        )
    }

    /// A query returning one int8: how many distinct values of `columns` (all non-NULL) occur
    /// in more than one row of `table` (what a unique key over them would fail on).
    fn duplicate_groups_sql(&self, table: &str, columns: &[String]) -> String {
        let cols: Vec<String> = columns.iter().map(|c| self.quote_ident(c)).collect();
        let not_null: Vec<String> = cols.iter().map(|c| format!("{c} IS NOT NULL")).collect();
        format!(
            "SELECT count(*) FROM (SELECT 1 AS one FROM {} WHERE {} GROUP BY {} HAVING count(*) > 1) d",
            self.quote_table(table),
            not_null.join(" AND "),
            cols.join(", ")
        )
    }

    /// The statement that changes the open interruption record of `revision`: its audit-log
    /// row whose direction is `running` and whose `finished_at` is still empty. Every value is
    /// a literal.
    fn update_open_log_sql(
        &self,
        table: &str,
        revision: &str,
        running: &str,
        set: &[(&str, Option<String>)],
    ) -> String {
        let sets: Vec<String> = set
            .iter()
            .map(|(c, v)| {
                let v = v
                    .as_deref()
                    .map_or_else(|| "NULL".to_string(), |v| self.quote_str(v));
                format!("{} = {v}", self.quote_ident(c))
            })
            .collect();
        format!(
            "UPDATE {} SET {} WHERE {} = {} AND {} = {} AND {} = ''",
            self.quote_ident(table),
            sets.join(", "),
            self.quote_ident("revision"),
            self.quote_str(revision),
            self.quote_ident("direction"),
            self.quote_str(running),
            self.quote_ident("finished_at")
        )
    }

    /// The query that lists the open interruption records: audit-log rows whose direction is
    /// one of `running` and whose `finished_at` is empty, as rows of (revision text, direction
    /// text, started_at text, message text, checksum text), oldest first.
    fn select_open_log_sql(&self, table: &str, running: &[&str]) -> String {
        let markers: Vec<String> = running.iter().map(|m| self.quote_str(m)).collect();
        format!(
            "SELECT {}, {}, {}, {}, {} FROM {} WHERE {} IN ({}) AND {} = '' ORDER BY {}",
            self.quote_ident("revision"),
            self.quote_ident("direction"),
            self.quote_ident("started_at"),
            self.quote_ident("message"),
            self.quote_ident("checksum"),
            self.quote_ident(table),
            self.quote_ident("direction"),
            markers.join(", "),
            self.quote_ident("finished_at"),
            self.quote_ident("seq")
        )
    }

    /// The query that reads the audit log's checksum per applied revision: rows of
    /// (revision text, checksum text), oldest first, from the steps that record the file
    /// that ran (`up`, `stamp`, and `accept` after a harmless edit).
    fn select_checksums_sql(&self, table: &str) -> String {
        format!(
            "SELECT {}, {} FROM {} WHERE {} IN ('up', 'stamp', 'accept') ORDER BY {}",
            self.quote_ident("revision"),
            self.quote_ident("checksum"),
            self.quote_ident(table),
            self.quote_ident("direction"),
            self.quote_ident("seq")
        )
    }
}
