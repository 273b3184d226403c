/* policies.h: kv-grant --from-policies, what main.c calls in policies.c. */

#ifndef KV_GRANT_POLICIES_H
#define KV_GRANT_POLICIES_H

#define ROLE_USER	"Key Vault Secrets User"
#define ROLE_OFFICER	"Key Vault Secrets Officer"

struct plan_stats {
	long	 secrets;	/* input records planned for */
	long	 assignments;
	long	 warnings;
	long	 uncovered;	/* secrets nobody gets a role on */
	int	 incomplete;	/* a policy or role could not be read */
};

/*
 * Read every record of rd, then Vault's ACL policies and azure auth
 * roles in the namespaces the records name, and principals_file (NULL
 * for none): the plan, an array of records (warnings, the input records
 * that failed, then one record per role assignment).  Exits when Vault
 * cannot be used at all.
 */
jv	 policies_plan(struct rec_reader *rd, const char *principals_file,
	    struct plan_stats *st);
/*
 * Azure's cap on role assignments per subscription: warn (on stderr, and
 * as a record appended to *plan) when the plan's new assignments and
 * the existing ones of subscription sub pass it.  arm NULL: the existing
 * ones are not counted.  vault_id: the vault's resource id.
 */
void	 policies_check_limit(struct arm *arm, const char *sub,
	    const char *vault_id, jv *plan, struct plan_stats *st);

#endif
