/* azure.h: Azure credentials, clouds and Resource Manager. */

/* Part of common.h, which includes it in its place: include that. */
#ifndef VAULT2KV_AZURE_H
#define VAULT2KV_AZURE_H

/*
 * azcred.c: Azure credentials, tried in DefaultAzureCredential's order
 * (environment, workload identity, managed identity, az: azcli.c), and
 * the tokens they get.  azhttp.c and azcli.c have no part in this
 * header: what the Azure files share is in azure_int.h.
 */
struct azure_cred;
/* The chain from the environment; NULL and *err if nothing is usable. */
struct azure_cred *azure_cred_new(struct http *, char **err);
void	 azure_cred_free(struct azure_cred *);
/*
 * A token for scope ("https://vault.azure.net/.default"), cached per
 * scope and refreshed before expiry; force skips the cache.  Returns a
 * malloc'd token the caller wipes (wipe_free), or NULL and *err naming
 * every credential tried.
 */
char	*azure_token(struct azure_cred *, const char *scope, int force,
	    char **err);
/* The credential that got a token ("EnvironmentCredential"), or NULL. */
const char *azure_cred_name(struct azure_cred *);
/* The cloud the credential's chain was made for (azcloud.c). */
struct azure_cloud *azure_cred_cloud(struct azure_cred *);

/*
 * azcloud.c: the Azure clouds (AzureCloud, AzureChinaCloud,
 * AzureUSGovernment, or a custom one described by its Resource Manager's
 * metadata document), and which one applies: AZURE_CLOUD, else az's
 * (AZURE_CLOUD_NAME, [cloud] name in $AZURE_CONFIG_DIR/config), else
 * AzureCloud; AZURE_AUTHORITY_HOST and AZURE_RESOURCE_MANAGER_URL replace
 * one endpoint each.  With AZURE_RESOURCE_MANAGER_URL and no cloud named
 * by a variable, that endpoint's metadata document says the rest, read
 * on the first need of a value from it.
 */
struct azure_cloud;
/* No network yet; NULL and *err for a cloud that is not known. */
struct azure_cloud *azure_cloud_new(struct http *, char **err);
void	 azure_cloud_free(struct azure_cloud *);
/* "AzureChinaCloud", the name of a cloud az registered, or "custom". */
const char *azure_cloud_name(struct azure_cloud *);
/*
 * The values, borrowed from the cloud, each NULL with a malloc'd *err
 * when it cannot be known (the metadata document cannot be read).
 */
const char *azure_cloud_authority(struct azure_cloud *, char **err);
const char *azure_cloud_kv_suffix(struct azure_cloud *, char **err);
const char *azure_cloud_arm_url(struct azure_cloud *, char **err);
const char *azure_cloud_arm_scope(struct azure_cloud *, char **err);
/*
 * az's default subscription in this cloud ($AZURE_CONFIG_DIR/
 * azureProfile.json), malloc'd; NULL when it names none; NULL and *err
 * when the file cannot be read.
 */
char	*azure_cloud_subscription(struct azure_cloud *, char **err);

/*
 * arm.c: Azure Resource Manager (kv-grant's role assignments).
 */
struct arm;
/*
 * The Resource Manager of the credential's cloud, which it borrows: the
 * credential outlives it.  Its tokens are for that cloud's Resource
 * Manager audience, and go nowhere else.
 */
struct arm *arm_new(struct http *, struct azure_cred *, char **err);
void	 arm_free(struct arm *);
/* path_query below the ARM root, api-version included by the caller. */
jv	 arm_call(struct arm *, const char *method, const char *path_query,
	    jv body /* consumed */, long *status);
char	*arm_errmsg(jv body /* borrowed */, long status);
/*
 * Every item of a paged list: path_query, then its nextLinks (1000
 * pages at the most).  An array; or invalid with *status and a message:
 * arm_call's when no answer came (may be none), else arm_errmsg's.
 */
jv	 arm_list(struct arm *, const char *path_query, long *status);

#endif
