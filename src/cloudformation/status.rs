//! CloudFormation stack statuses, and what each means to gapfill. One table, no guessing
//! from suffixes: a status CloudFormation adds later is `Unknown` until it is classified here.

/// What a stack's status means for gapfill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// An operation is running; wait for it.
    InProgress,
    /// A stable state from which an update can start.
    Stable,
    /// A failed create was rolled back: the stack must be deleted before it can be created.
    FailedCreate,
    /// A change set was created for a new stack and never executed.
    Review,
    /// The update rollback failed: needs ContinueUpdateRollback.
    UpdateRollbackFailed,
    /// A failed state that needs a human (delete failed, rollback of a create failed).
    Broken,
    /// The stack is gone.
    Deleted,
    /// A status this table does not know.
    Unknown,
}

/// Classifies a stack status.
pub fn category(status: &str) -> Category {
    match status {
        "CREATE_IN_PROGRESS"
        | "ROLLBACK_IN_PROGRESS"
        | "DELETE_IN_PROGRESS"
        | "UPDATE_IN_PROGRESS"
        | "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
        | "UPDATE_ROLLBACK_IN_PROGRESS"
        | "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
        | "IMPORT_IN_PROGRESS"
        | "IMPORT_ROLLBACK_IN_PROGRESS" => Category::InProgress,
        "CREATE_COMPLETE"
        | "UPDATE_COMPLETE"
        | "UPDATE_ROLLBACK_COMPLETE"
        | "IMPORT_COMPLETE"
        | "IMPORT_ROLLBACK_COMPLETE" => Category::Stable,
        "ROLLBACK_COMPLETE" => Category::FailedCreate,
        "REVIEW_IN_PROGRESS" => Category::Review,
        "UPDATE_ROLLBACK_FAILED" => Category::UpdateRollbackFailed,
        "CREATE_FAILED"
        | "ROLLBACK_FAILED"
        | "DELETE_FAILED"
        | "UPDATE_FAILED"
        | "IMPORT_ROLLBACK_FAILED" => Category::Broken,
        "DELETE_COMPLETE" => Category::Deleted,
        _ => Category::Unknown,
    }
}

/// Whether a stack-level event with this status ends the operation being watched.
/// `CREATE_FAILED` and `UPDATE_FAILED` do not: a rollback follows them.
pub fn ends_operation(status: &str) -> bool {
    match category(status) {
        Category::Stable
        | Category::FailedCreate
        | Category::UpdateRollbackFailed
        | Category::Deleted => true,
        Category::Broken => !matches!(status, "CREATE_FAILED" | "UPDATE_FAILED"),
        Category::InProgress | Category::Review | Category::Unknown => false,
    }
}

/// Whether a resource event reports a failure worth showing as a cause.
pub fn is_failure(status: &str) -> bool {
    status.ends_with("_FAILED")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_states_a_deploy_must_handle() {
        assert_eq!(category("UPDATE_ROLLBACK_COMPLETE"), Category::Stable);
        assert_eq!(category("ROLLBACK_COMPLETE"), Category::FailedCreate);
        assert_eq!(category("REVIEW_IN_PROGRESS"), Category::Review);
        assert_eq!(
            category("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
            Category::InProgress
        );
        assert_eq!(
            category("UPDATE_ROLLBACK_FAILED"),
            Category::UpdateRollbackFailed
        );
        assert_eq!(category("SOMETHING_NEW"), Category::Unknown);
    }

    #[test]
    fn a_failed_create_or_update_is_not_the_end_because_a_rollback_follows() {
        assert!(!ends_operation("CREATE_FAILED"));
        assert!(!ends_operation("UPDATE_FAILED"));
        assert!(!ends_operation("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
        assert!(ends_operation("ROLLBACK_COMPLETE"));
        assert!(ends_operation("UPDATE_COMPLETE"));
        assert!(ends_operation("DELETE_FAILED"));
    }
}
