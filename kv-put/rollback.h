/* rollback.h: kv-put --rollback, the undoing of what a mapping created. */

/*
 * Read a mapping (kv-put's output) on stdin and delete, and with purge
 * also purge, every secret whose status says this mapping created it, if
 * its current version is still the one the mapping names, in the vault
 * its record names (the set's default for a record without one); write
 * each record with "rollback" added.  dry_run: delete nothing, say what
 * would be.  Returns the exit status; *summary (malloc'd) is the run's
 * summary.
 */
int	 rollback(struct kvset *, int purge, int dry_run, char **summary);
