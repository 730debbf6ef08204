/*
 * A test plugin for `bomhost plugin test`'s files and HTTP fixtures, on the C SDK's host calls.
 *
 * With [plugin.config] api = "<base URL>": GET <api>/verdict/<component name>; a 2xx body that
 * is a JSON object with a "verdict" string gives one finding (kind "lookup", message = the
 * verdict, data = its "detail" object if any); a failed call gives a "lookup-failed" finding naming the host's code.
 * With list = "<path>": read_file(path); a line equal to the component's name gives one finding
 * (kind "listed").
 */
#include "bomhost.h"

static void by_http(const bh_call *call, bh_out *out, const char *api, const char *name) {
    char *body;
    int64_t n = bh_http_get(bh_printf("%s/verdict/%s", api, name), &body);
    if (n < 0) {
        bh_finding(out, "lookup-failed", BH_WARNING, "lookup/failed",
                   bh_printf("GET failed: %s (%lld)", bh_error_name(n), (long long)n));
        return;
    }
    bh_json j = {body, (size_t)n, NULL, 0};
    jsmn_parser p;
    jsmn_init(&p);
    int count = jsmn_parse(&p, body, (size_t)n, NULL, 0);
    if (count <= 0) return;
    j.tok = malloc(sizeof(jsmntok_t) * (size_t)count);
    jsmn_init(&p);
    j.ntok = jsmn_parse(&p, body, (size_t)n, j.tok, (unsigned)count);
    char *verdict = bh_str(&j, bh_find(&j, 0, "verdict"));
    /* An optional "detail" object goes into the finding's data as written. */
    int detail = bh_find(&j, 0, "detail");
    char *data = NULL;
    if (detail >= 0 && j.tok[detail].type == JSMN_OBJECT) {
        data = bh_printf("%.*s", j.tok[detail].end - j.tok[detail].start, body + j.tok[detail].start);
    }
    if (verdict) bh_finding_data(out, "lookup", BH_ERROR, "lookup/verdict", verdict, data);
    (void)call;
}

static void by_file(bh_out *out, const char *path, const char *name) {
    char *text;
    int64_t n = bh_read_file(path, &text);
    if (n < 0) {
        bh_finding(out, "lookup-failed", BH_WARNING, "lookup/failed",
                   bh_printf("read_file(%s) failed: %s (%lld)", path, bh_error_name(n), (long long)n));
        return;
    }
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strcmp(line, name) == 0) {
            bh_finding(out, "listed", BH_ERROR, "lookup/listed", bh_printf("%s is listed in %s", name, path));
        }
    }
}

static void lookup(const bh_call *call, bh_out *out) {
    char *name = bh_field(call, "name");
    if (!name) return;
    char *api = bh_str(call->json, bh_find(call->json, call->config, "api"));
    char *list = bh_str(call->json, bh_find(call->json, call->config, "list"));
    bh_log(BH_LOG_INFO, bh_printf("looking up %s", name));
    if (api) by_http(call, out, api, name);
    if (list) by_file(out, list, name);
}

BOMHOST_PLUGIN(lookup)
