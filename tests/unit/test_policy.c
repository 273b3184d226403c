/* test_policy.c: Vault policies parsed, and paths matched as Vault does. */

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "unit.h"

static int
parse(struct policy *p, const char *ns, const char *text, char **err)
{
	memset(p, 0, sizeof(*p));
	p->ns = ns;
	*err = NULL;
	return policy_parse(p, text, err);
}

/* text is not a policy, and parse says why: want, if not NULL. */
static void
refused(const char *text, const char *want)
{
	struct policy p;
	char *err = NULL;

	if (parse(&p, "", text, &err) != -1) {
		fprintf(stderr, "%s:%d: policy accepted: %s\n", __FILE__,
		    __LINE__, text);
		failures++;
	} else if (want != NULL)
		CHECK_STR(err, want);
	free(err);
	policy_release(&p);
}

static void
test_parse(void)
{
	struct policy p;
	char *err, *s;

	CHECK_EQ(parse(&p, "",
	    "# a comment\n"
	    "// another\n"
	    "/* and\n a block */\n"
	    "path \"secret/data/app/*\" {\n"
	    "  capabilities = [\"read\", \"list\",]\n"
	    "}\n"
	    "path \"/kv1/x\" { policy = \"write\" }\n"
	    "path \"secret/data/app/admin\" {\n"
	    "  capabilities = [\"read\", \"deny\"]\n"
	    "}\n", &err), 0);
	CHECK_EQ(p.n, 3);
	CHECK_STR(p.rules[0].path, "secret/data/app/*");
	CHECK_EQ(p.rules[0].caps, POL_READ | POL_LIST);
	CHECK_STR(p.rules[1].path, "kv1/x");
	CHECK_EQ(p.rules[1].caps, POL_CREATE | POL_READ | POL_UPDATE |
	    POL_DELETE | POL_LIST);
	CHECK_EQ(p.rules[2].caps, POL_DENY);
	CHECK(!p.templated && p.conditions == NULL);
	s = policy_caps_str(p.rules[0].caps);
	CHECK_STR(s, "\"read\", \"list\"");
	free(s);
	policy_release(&p);

	CHECK_EQ(parse(&p, "", "{\"path\": {\"a/*\": {\"capabilities\": "
	    "[\"update\"]}, \"b\": {\"capabilities\": [\"read\"]}}}", &err), 0);
	CHECK_EQ(p.n, 2);
	CHECK_STR(p.rules[0].path, "a/*");
	CHECK_EQ(p.rules[0].caps, POL_UPDATE);
	policy_release(&p);

	CHECK_EQ(parse(&p, "", "path \"secret/data/{{identity.entity.id}}/*\""
	    " { capabilities = [\"read\"] }\npath \"x\" { capabilities = "
	    "[\"create\"]\n allowed_parameters = { \"k\" = [] } }", &err), 0);
	CHECK(p.templated);
	CHECK(p.conditions != NULL &&
	    strstr(p.conditions, "allowed_parameters") != NULL);
	policy_release(&p);

	refused("path \"x\" {\n capabilities = [\"fly\"]\n}",
	    "path \"x\": invalid capability fly");
	refused("\n\npath \"x {\n", "line 3: string not closed");
	refused("path \"a/+*\" { capabilities = [\"read\"] }", NULL);
	refused("path \"a\" { capabilites = [\"read\"] }",
	    "path \"a\": invalid key \"capabilites\"");
	refused("pth \"a\" { }", NULL);
	refused("path \"a\" { capabilities = [\"read\"] ", NULL);
	refused("/* open", NULL);
}

static unsigned
caps(struct acl *a, const char *path, int list)
{
	return acl_caps(a, path, list, NULL);
}

static void
test_match(void)
{
	struct policy p1, p2, p3;
	struct acl *a;
	const struct acl_entry *e;
	char *err;

	CHECK_EQ(parse(&p1, "",
	    "path \"secret/data/*\" { capabilities = [\"read\"] }\n"
	    "path \"secret/data/app/admin\" { capabilities = [\"deny\"] }\n"
	    "path \"secret/data/+/db\" { capabilities = [\"update\"] }\n"
	    "path \"secret/data/team/*\" { capabilities = [\"create\"] }\n"
	    "path \"secret/metadata/app\" { capabilities = [\"list\"] }\n"
	    "path \"kv/+/+/x\" { capabilities = [\"read\"] }\n"
	    "path \"kv/a/+/x\" { capabilities = [\"list\"] }\n"
	    "path \"kv/+/c/x\" { capabilities = [\"create\"] }\n"
	    "path \"kv/a/b*\" { capabilities = [\"delete\"] }\n"
	    "path \"x/y\" { capabilities = [\"read\"] }\n", &err), 0);
	CHECK_EQ(parse(&p2, "",
	    "path \"secret/data/app/admin\" { capabilities = [\"read\"] }\n"
	    "path \"secret/data/*\" { capabilities = [\"update\"] }\n"
	    "path \"x/y\" { capabilities = [\"deny\"] }\n", &err),
	    0);
	CHECK_EQ(parse(&p3, "team1/",
	    "path \"kv/data/x\" { capabilities = [\"read\"] }\n", &err), 0);
	a = acl_new();
	acl_add(a, &p1);
	acl_add(a, &p2);
	acl_add(a, &p3);

	/* The same pattern in two policies: the union. */
	CHECK_EQ(caps(a, "secret/data/app/db2", 0), POL_READ | POL_UPDATE);
	/* An exact deny beats every glob; deny wins within its pattern. */
	CHECK_EQ(caps(a, "secret/data/app/admin", 0), 0);
	e = acl_match(a, "secret/data/app/admin", 0);
	CHECK(e != NULL && e->kind == ACL_EXACT && e->caps == POL_DENY);
	/* A later policy's deny on the same pattern wins too. */
	e = acl_match(a, "x/y", 0);
	CHECK(e != NULL && e->caps == POL_DENY && e->nsrc == 1);
	CHECK_EQ(caps(a, "x/y", 0), 0);
	/* The later first wildcard wins: "+" at 12 loses to "*" at 17. */
	CHECK_EQ(caps(a, "secret/data/team/db", 0), POL_CREATE);
	/* The "+" rule beats the glob secret/data/, which comes earlier. */
	CHECK_EQ(caps(a, "secret/data/app/db", 0), POL_UPDATE);
	CHECK_EQ(caps(a, "secret/data/app/db/more", 0), POL_READ | POL_UPDATE);
	/* LIST of a folder: the rule without its trailing slash. */
	CHECK_EQ(caps(a, "secret/metadata/app/", 1), POL_LIST);
	CHECK_EQ(caps(a, "secret/metadata/app/", 0), 0);
	/* Fewer "+" segments win at the same first position... */
	CHECK_EQ(caps(a, "kv/z/c/x", 0), POL_CREATE);
	CHECK_EQ(caps(a, "kv/z/d/x", 0), POL_READ);
	/* ...a later first one wins over an earlier one... */
	CHECK_EQ(caps(a, "kv/a/c/x", 0), POL_LIST);
	/* ...and a glob that comes later than a "+". */
	CHECK_EQ(caps(a, "kv/a/b/x", 0), POL_DELETE);
	/* A policy of a namespace: its paths below the namespace. */
	CHECK_EQ(caps(a, "team1/kv/data/x", 0), POL_READ);
	CHECK_EQ(caps(a, "kv/data/x", 0), 0);
	CHECK_EQ(caps(a, "other", 0), 0);
	acl_free(a);
	policy_release(&p1);
	policy_release(&p2);
	policy_release(&p3);
}

int
main(void)
{
	test_parse();
	test_match();
	return unit_result("test_policy");
}
