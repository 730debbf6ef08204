/*
 * bomhost.h: write a bomhost WASM plugin (protocol 2) in C, as one function per component.
 *
 *     #include "bomhost.h"
 *
 *     static void check(const bh_call *call, bh_out *out) {
 *         char *purl = bh_str(call->json, bh_find(call->json, call->component, "purl"));
 *         if (purl && strncmp(purl, "pkg:npm/left-pad", 16) == 0)
 *             bh_finding(out, "banned", BH_ERROR, "banned/left-pad",
 *                        bh_printf("%s is banned", purl));
 *     }
 *
 *     BOMHOST_PLUGIN(check)
 *
 * Build: clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -o p.wasm p.c
 * (Debian: apt-get install clang lld wasi-libc libclang-rt-dev-wasm32).
 *
 * The same ABI helpers as the Rust SDK (examples/plugins/bomhost-plugin-sdk, protocol/README.md
 * section 7):
 *   - exports: BOMHOST_PLUGIN(fn) defines bomdrift_alloc and bomdrift_enrich; the request is
 *     parsed (jsmn, below) and fn is called once per component: once for a per-component
 *     request, once per item of an `invoke = "batch"` request (section 8), where every finding
 *     then names its item's component_purl by itself. One function serves both modes.
 *   - reading the request: bh_find / bh_path / bh_item / bh_len walk the JSON, bh_str returns
 *     an unescaped, NUL-terminated copy of a string.
 *   - writing the response: bh_finding (and bh_finding_for, bh_raw) build {"findings":[...]}.
 *   - host imports (module "bomdrift"): bh_log, bh_now_ms, bh_read_file, bh_http_get,
 *     bh_http_request. Every helper is `static`, so a module imports only the host functions
 *     it calls: a plugin that never reads a file loads under the default policy, which does
 *     not grant bomdrift.read_file. bh_read_file / bh_http_* retry "buffer too small" (-4)
 *     with a doubled buffer, 64 KiB up to 16 MiB.
 *
 * Memory is never freed: the host builds a fresh instance for every call and drops its whole
 * linear memory when the call returns (as the Rust SDK does).
 *
 * JSON parsing is jsmn 1.1.0 (https://github.com/zserge/jsmn, MIT, Copyright (c) 2010 Serge
 * Zaitsev), included verbatim from Debian's libjsmn-dev below, in strict mode.
 */
#ifndef BOMHOST_H
#define BOMHOST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT

/* ---- jsmn 1.1.0, verbatim (sha256 of the original: 1ed6154dedf009212a08a397e9c4ed50a0ce31d5a8301bb294e137ae3188c13b) ---- */
/*
 * MIT License
 *
 * Copyright (c) 2010 Serge Zaitsev
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy
 * of this software and associated documentation files (the "Software"), to deal
 * in the Software without restriction, including without limitation the rights
 * to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 * copies of the Software, and to permit persons to whom the Software is
 * furnished to do so, subject to the following conditions:
 *
 * The above copyright notice and this permission notice shall be included in
 * all copies or substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 * IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 * FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 * AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 * LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 * OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 * SOFTWARE.
 */
#ifndef JSMN_H
#define JSMN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef JSMN_STATIC
#define JSMN_API static
#else
#define JSMN_API extern
#endif

/**
 * JSON type identifier. Basic types are:
 * 	o Object
 * 	o Array
 * 	o String
 * 	o Other primitive: number, boolean (true/false) or null
 */
typedef enum {
  JSMN_UNDEFINED = 0,
  JSMN_OBJECT = 1,
  JSMN_ARRAY = 2,
  JSMN_STRING = 3,
  JSMN_PRIMITIVE = 4
} jsmntype_t;

enum jsmnerr {
  /* Not enough tokens were provided */
  JSMN_ERROR_NOMEM = -1,
  /* Invalid character inside JSON string */
  JSMN_ERROR_INVAL = -2,
  /* The string is not a full JSON packet, more bytes expected */
  JSMN_ERROR_PART = -3
};

/**
 * JSON token description.
 * type		type (object, array, string etc.)
 * start	start position in JSON data string
 * end		end position in JSON data string
 */
typedef struct {
  jsmntype_t type;
  int start;
  int end;
  int size;
#ifdef JSMN_PARENT_LINKS
  int parent;
#endif
} jsmntok_t;

/**
 * JSON parser. Contains an array of token blocks available. Also stores
 * the string being parsed now and current position in that string.
 */
typedef struct {
  unsigned int pos;     /* offset in the JSON string */
  unsigned int toknext; /* next token to allocate */
  int toksuper;         /* superior token node, e.g. parent object or array */
} jsmn_parser;

/**
 * Create JSON parser over an array of tokens
 */
JSMN_API void jsmn_init(jsmn_parser *parser);

/**
 * Run JSON parser. It parses a JSON data string into and array of tokens, each
 * describing
 * a single JSON object.
 */
JSMN_API int jsmn_parse(jsmn_parser *parser, const char *js, const size_t len,
                        jsmntok_t *tokens, const unsigned int num_tokens);

#ifndef JSMN_HEADER
/**
 * Allocates a fresh unused token from the token pool.
 */
static jsmntok_t *jsmn_alloc_token(jsmn_parser *parser, jsmntok_t *tokens,
                                   const size_t num_tokens) {
  jsmntok_t *tok;
  if (parser->toknext >= num_tokens) {
    return NULL;
  }
  tok = &tokens[parser->toknext++];
  tok->start = tok->end = -1;
  tok->size = 0;
#ifdef JSMN_PARENT_LINKS
  tok->parent = -1;
#endif
  return tok;
}

/**
 * Fills token type and boundaries.
 */
static void jsmn_fill_token(jsmntok_t *token, const jsmntype_t type,
                            const int start, const int end) {
  token->type = type;
  token->start = start;
  token->end = end;
  token->size = 0;
}

/**
 * Fills next available token with JSON primitive.
 */
static int jsmn_parse_primitive(jsmn_parser *parser, const char *js,
                                const size_t len, jsmntok_t *tokens,
                                const size_t num_tokens) {
  jsmntok_t *token;
  int start;

  start = parser->pos;

  for (; parser->pos < len && js[parser->pos] != '\0'; parser->pos++) {
    switch (js[parser->pos]) {
#ifndef JSMN_STRICT
    /* In strict mode primitive must be followed by "," or "}" or "]" */
    case ':':
#endif
    case '\t':
    case '\r':
    case '\n':
    case ' ':
    case ',':
    case ']':
    case '}':
      goto found;
    }
    if (js[parser->pos] < 32 || js[parser->pos] >= 127) {
      parser->pos = start;
      return JSMN_ERROR_INVAL;
    }
  }
#ifdef JSMN_STRICT
  /* In strict mode primitive must be followed by a comma/object/array */
  parser->pos = start;
  return JSMN_ERROR_PART;
#endif

found:
  if (tokens == NULL) {
    parser->pos--;
    return 0;
  }
  token = jsmn_alloc_token(parser, tokens, num_tokens);
  if (token == NULL) {
    parser->pos = start;
    return JSMN_ERROR_NOMEM;
  }
  jsmn_fill_token(token, JSMN_PRIMITIVE, start, parser->pos);
#ifdef JSMN_PARENT_LINKS
  token->parent = parser->toksuper;
#endif
  parser->pos--;
  return 0;
}

/**
 * Fills next token with JSON string.
 */
static int jsmn_parse_string(jsmn_parser *parser, const char *js,
                             const size_t len, jsmntok_t *tokens,
                             const size_t num_tokens) {
  jsmntok_t *token;

  int start = parser->pos;

  parser->pos++;

  /* Skip starting quote */
  for (; parser->pos < len && js[parser->pos] != '\0'; parser->pos++) {
    char c = js[parser->pos];

    /* Quote: end of string */
    if (c == '\"') {
      if (tokens == NULL) {
        return 0;
      }
      token = jsmn_alloc_token(parser, tokens, num_tokens);
      if (token == NULL) {
        parser->pos = start;
        return JSMN_ERROR_NOMEM;
      }
      jsmn_fill_token(token, JSMN_STRING, start + 1, parser->pos);
#ifdef JSMN_PARENT_LINKS
      token->parent = parser->toksuper;
#endif
      return 0;
    }

    /* Backslash: Quoted symbol expected */
    if (c == '\\' && parser->pos + 1 < len) {
      int i;
      parser->pos++;
      switch (js[parser->pos]) {
      /* Allowed escaped symbols */
      case '\"':
      case '/':
      case '\\':
      case 'b':
      case 'f':
      case 'r':
      case 'n':
      case 't':
        break;
      /* Allows escaped symbol \uXXXX */
      case 'u':
        parser->pos++;
        for (i = 0; i < 4 && parser->pos < len && js[parser->pos] != '\0';
             i++) {
          /* If it isn't a hex character we have an error */
          if (!((js[parser->pos] >= 48 && js[parser->pos] <= 57) ||   /* 0-9 */
                (js[parser->pos] >= 65 && js[parser->pos] <= 70) ||   /* A-F */
                (js[parser->pos] >= 97 && js[parser->pos] <= 102))) { /* a-f */
            parser->pos = start;
            return JSMN_ERROR_INVAL;
          }
          parser->pos++;
        }
        parser->pos--;
        break;
      /* Unexpected symbol */
      default:
        parser->pos = start;
        return JSMN_ERROR_INVAL;
      }
    }
  }
  parser->pos = start;
  return JSMN_ERROR_PART;
}

/**
 * Parse JSON string and fill tokens.
 */
JSMN_API int jsmn_parse(jsmn_parser *parser, const char *js, const size_t len,
                        jsmntok_t *tokens, const unsigned int num_tokens) {
  int r;
  int i;
  jsmntok_t *token;
  int count = parser->toknext;

  for (; parser->pos < len && js[parser->pos] != '\0'; parser->pos++) {
    char c;
    jsmntype_t type;

    c = js[parser->pos];
    switch (c) {
    case '{':
    case '[':
      count++;
      if (tokens == NULL) {
        break;
      }
      token = jsmn_alloc_token(parser, tokens, num_tokens);
      if (token == NULL) {
        return JSMN_ERROR_NOMEM;
      }
      if (parser->toksuper != -1) {
        jsmntok_t *t = &tokens[parser->toksuper];
#ifdef JSMN_STRICT
        /* In strict mode an object or array can't become a key */
        if (t->type == JSMN_OBJECT) {
          return JSMN_ERROR_INVAL;
        }
#endif
        t->size++;
#ifdef JSMN_PARENT_LINKS
        token->parent = parser->toksuper;
#endif
      }
      token->type = (c == '{' ? JSMN_OBJECT : JSMN_ARRAY);
      token->start = parser->pos;
      parser->toksuper = parser->toknext - 1;
      break;
    case '}':
    case ']':
      if (tokens == NULL) {
        break;
      }
      type = (c == '}' ? JSMN_OBJECT : JSMN_ARRAY);
#ifdef JSMN_PARENT_LINKS
      if (parser->toknext < 1) {
        return JSMN_ERROR_INVAL;
      }
      token = &tokens[parser->toknext - 1];
      for (;;) {
        if (token->start != -1 && token->end == -1) {
          if (token->type != type) {
            return JSMN_ERROR_INVAL;
          }
          token->end = parser->pos + 1;
          parser->toksuper = token->parent;
          break;
        }
        if (token->parent == -1) {
          if (token->type != type || parser->toksuper == -1) {
            return JSMN_ERROR_INVAL;
          }
          break;
        }
        token = &tokens[token->parent];
      }
#else
      for (i = parser->toknext - 1; i >= 0; i--) {
        token = &tokens[i];
        if (token->start != -1 && token->end == -1) {
          if (token->type != type) {
            return JSMN_ERROR_INVAL;
          }
          parser->toksuper = -1;
          token->end = parser->pos + 1;
          break;
        }
      }
      /* Error if unmatched closing bracket */
      if (i == -1) {
        return JSMN_ERROR_INVAL;
      }
      for (; i >= 0; i--) {
        token = &tokens[i];
        if (token->start != -1 && token->end == -1) {
          parser->toksuper = i;
          break;
        }
      }
#endif
      break;
    case '\"':
      r = jsmn_parse_string(parser, js, len, tokens, num_tokens);
      if (r < 0) {
        return r;
      }
      count++;
      if (parser->toksuper != -1 && tokens != NULL) {
        tokens[parser->toksuper].size++;
      }
      break;
    case '\t':
    case '\r':
    case '\n':
    case ' ':
      break;
    case ':':
      parser->toksuper = parser->toknext - 1;
      break;
    case ',':
      if (tokens != NULL && parser->toksuper != -1 &&
          tokens[parser->toksuper].type != JSMN_ARRAY &&
          tokens[parser->toksuper].type != JSMN_OBJECT) {
#ifdef JSMN_PARENT_LINKS
        parser->toksuper = tokens[parser->toksuper].parent;
#else
        for (i = parser->toknext - 1; i >= 0; i--) {
          if (tokens[i].type == JSMN_ARRAY || tokens[i].type == JSMN_OBJECT) {
            if (tokens[i].start != -1 && tokens[i].end == -1) {
              parser->toksuper = i;
              break;
            }
          }
        }
#endif
      }
      break;
#ifdef JSMN_STRICT
    /* In strict mode primitives are: numbers and booleans */
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
    case 't':
    case 'f':
    case 'n':
      /* And they must not be keys of the object */
      if (tokens != NULL && parser->toksuper != -1) {
        const jsmntok_t *t = &tokens[parser->toksuper];
        if (t->type == JSMN_OBJECT ||
            (t->type == JSMN_STRING && t->size != 0)) {
          return JSMN_ERROR_INVAL;
        }
      }
#else
    /* In non-strict mode every unquoted value is a primitive */
    default:
#endif
      r = jsmn_parse_primitive(parser, js, len, tokens, num_tokens);
      if (r < 0) {
        return r;
      }
      count++;
      if (parser->toksuper != -1 && tokens != NULL) {
        tokens[parser->toksuper].size++;
      }
      break;

#ifdef JSMN_STRICT
    /* Unexpected char in strict mode */
    default:
      return JSMN_ERROR_INVAL;
#endif
    }
  }

  if (tokens != NULL) {
    for (i = parser->toknext - 1; i >= 0; i--) {
      /* Unmatched opened object or array */
      if (tokens[i].start != -1 && tokens[i].end == -1) {
        return JSMN_ERROR_PART;
      }
    }
  }

  return count;
}

/**
 * Creates a new parser based over a given buffer with an array of tokens
 * available.
 */
JSMN_API void jsmn_init(jsmn_parser *parser) {
  parser->pos = 0;
  parser->toknext = 0;
  parser->toksuper = -1;
}

#endif /* JSMN_HEADER */

#ifdef __cplusplus
}
#endif

#endif /* JSMN_H */
/* ---- end of jsmn ---- */

#define BH_UNUSED __attribute__((unused))

/* How serious a finding is: the protocol's three values. */
typedef enum { BH_INFO = 0, BH_WARNING = 1, BH_ERROR = 2 } bh_severity;

/* Log levels, as the report shows them (bomdrift.log's first argument). */
typedef enum { BH_LOG_DEBUG = 0, BH_LOG_INFO = 1, BH_LOG_WARNING = 2, BH_LOG_ERROR = 3 } bh_level;

/* The host's negative result codes of read_file / http_get / http_request. */
enum {
    BH_DENIED = -1,    /* the policy does not grant it */
    BH_NOT_FOUND = -2, /* missing or unreadable file; connection failure or non-2xx status */
    BH_QUOTA = -3,     /* a quota of the policy rule would be exceeded */
    BH_TOO_LARGE = -4, /* still too large for the biggest buffer offered */
    BH_TIMED_OUT = -5, /* the request timed out */
    BH_FAULT = -6,     /* the host rejected a guest pointer */
    BH_BAD_REQUEST = -7, /* http_request: the request JSON is malformed */
    BH_NO_MEMORY = -100 /* the guest's malloc failed (not a host code) */
};

/* The parsed request: its text and jsmn's tokens (index 0 is the whole object). */
typedef struct {
    const char *text;
    size_t len;
    jsmntok_t *tok;
    int ntok;
} bh_json;

/* One component to look at. Token indexes are into json->tok; -1 means absent or null. */
typedef struct {
    const bh_json *json;
    int component; /* the component object (the AFTER one for version/license changes) */
    int before;    /* the component before (version-changed, license-changed), else -1 */
    int config;    /* the manifest's [plugin.config] table */
    int run;       /* {"bomhost_version": ..., "now_ms": ...} */
    const char *event; /* "added", "version-changed", "removed" or "license-changed" */
    const char *id;    /* batch: this item's component_purl; per-component: NULL */
} bh_call;

/* The response being written. */
typedef struct {
    char *buf;
    size_t len, cap;
    const char *id; /* set by the SDK in batch mode: findings name this component_purl */
    size_t count;   /* findings written so far */
    int raw;        /* bh_raw was called: buf is the whole answer */
    int oom;        /* an allocation failed: the answer is an invalid response */
} bh_out;

typedef void (*bh_plugin_fn)(const bh_call *call, bh_out *out);

/* ---- reading the request ---------------------------------------------------------------- */

/* The token after tok's whole subtree (tokens are in document order). */
static BH_UNUSED int bh__skip(const bh_json *j, int tok) {
    int next = tok + 1;
    while (next < j->ntok && j->tok[next].start < j->tok[tok].end) next++;
    return next;
}

static BH_UNUSED int bh__is_null(const bh_json *j, int tok) {
    return j->tok[tok].type == JSMN_PRIMITIVE && j->text[j->tok[tok].start] == 'n';
}

/* The token of key's value in object obj, or -1 (also for a null value). */
static BH_UNUSED int bh_find(const bh_json *j, int obj, const char *key) {
    if (obj < 0 || obj >= j->ntok || j->tok[obj].type != JSMN_OBJECT) return -1;
    size_t klen = strlen(key);
    int t = obj + 1;
    for (int i = 0; i < j->tok[obj].size && t < j->ntok; i++) {
        const jsmntok_t *k = &j->tok[t];
        int value = t + 1;
        /* Keys the host writes are plain ASCII, so comparing the raw bytes is exact. */
        if (k->type == JSMN_STRING && (size_t)(k->end - k->start) == klen &&
            memcmp(j->text + k->start, key, klen) == 0) {
            return (value < j->ntok && !bh__is_null(j, value)) ? value : -1;
        }
        t = bh__skip(j, value);
    }
    return -1;
}

/* bh_find along a dotted path: bh_path(j, 0, "component.purl"). */
static BH_UNUSED int bh_path(const bh_json *j, int tok, const char *dotted) {
    char key[128];
    while (tok >= 0 && *dotted) {
        size_t n = strcspn(dotted, ".");
        if (n >= sizeof key) return -1;
        memcpy(key, dotted, n);
        key[n] = 0;
        tok = bh_find(j, tok, key);
        dotted += n + (dotted[n] == '.');
    }
    return tok;
}

/* The number of items of an array (0 for anything else). */
static BH_UNUSED int bh_len(const bh_json *j, int arr) {
    if (arr < 0 || j->tok[arr].type != JSMN_ARRAY) return 0;
    return j->tok[arr].size;
}

/* The token of item i of an array, or -1. */
static BH_UNUSED int bh_item(const bh_json *j, int arr, int i) {
    if (i < 0 || i >= bh_len(j, arr)) return -1;
    int t = arr + 1;
    while (i-- > 0) t = bh__skip(j, t);
    return t;
}

static BH_UNUSED int bh_is_string(const bh_json *j, int tok) {
    return tok >= 0 && tok < j->ntok && j->tok[tok].type == JSMN_STRING;
}

static BH_UNUSED void bh__utf8(char **w, unsigned long cp) {
    char *o = *w;
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    *w = o;
}

static BH_UNUSED unsigned long bh__hex4(const char *s) {
    unsigned long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v = v * 16 + (unsigned long)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* A malloc'ed, unescaped, NUL-terminated copy of string token tok, or NULL (not a string,
 * absent, or out of memory); its byte length goes to *len when len is not NULL. */
static BH_UNUSED char *bh_strn(const bh_json *j, int tok, size_t *len) {
    if (!bh_is_string(j, tok)) return NULL;
    const char *s = j->text + j->tok[tok].start, *end = j->text + j->tok[tok].end;
    /* Unescaping never grows a string (\uXXXX is 6 bytes, at most 4 in UTF-8). */
    char *out = malloc((size_t)(end - s) + 1), *w = out;
    if (!out) return NULL;
    while (s < end) {
        if (*s != '\\') {
            *w++ = *s++;
            continue;
        }
        char e = s[1];
        s += 2;
        switch (e) {
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            unsigned long cp = bh__hex4(s);
            s += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && end - s >= 6 && s[0] == '\\' && s[1] == 'u') {
                unsigned long lo = bh__hex4(s + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                }
            }
            bh__utf8(&w, cp);
            break;
        }
        default: *w++ = e; /* \" \\ \/ */
        }
    }
    *w = 0;
    if (len) *len = (size_t)(w - out);
    return out;
}

/* bh_strn without the length. */
static BH_UNUSED char *bh_str(const bh_json *j, int tok) { return bh_strn(j, tok, NULL); }

/* A field of the call's component as a string: bh_field(call, "purl"), or NULL. */
static BH_UNUSED char *bh_field(const bh_call *call, const char *key) {
    return bh_str(call->json, bh_find(call->json, call->component, key));
}

/* ---- writing the response --------------------------------------------------------------- */

static BH_UNUSED void bh__put(bh_out *out, const char *s, size_t n) {
    if (out->oom) return;
    if (out->len + n > out->cap) {
        size_t cap = out->cap ? out->cap : 256;
        while (cap < out->len + n) cap *= 2;
        char *buf = realloc(out->buf, cap);
        if (!buf) {
            out->oom = 1;
            return;
        }
        out->buf = buf;
        out->cap = cap;
    }
    memcpy(out->buf + out->len, s, n);
    out->len += n;
}

/* A JSON string literal: quotes, backslashes and control characters escaped, UTF-8 as is. */
static BH_UNUSED void bh__put_str(bh_out *out, const char *s) {
    bh__put(out, "\"", 1);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            bh__put(out, esc, 2);
        } else if (c < 0x20) {
            char esc[7];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            bh__put(out, esc, 6);
        } else {
            bh__put(out, (const char *)&c, 1);
        }
    }
    bh__put(out, "\"", 1);
}

static const char *const bh__severities[] = {"info", "warning", "error"};

/* The general form: a finding for component_purl (NULL: none, as in per-component mode) with
 * data_json, a JSON object of structured detail written as is (NULL: none; protocol 2). */
static BH_UNUSED void bh_finding_full(bh_out *out, const char *component_purl, const char *kind,
                                      bh_severity severity, const char *rule_id,
                                      const char *message, const char *data_json) {
    if (out->raw) return;
    bh__put(out, out->count ? "," : "", out->count ? 1 : 0);
    bh__put(out, "{", 1);
    if (component_purl) {
        bh__put(out, "\"component_purl\":", 17);
        bh__put_str(out, component_purl);
        bh__put(out, ",", 1);
    }
    bh__put(out, "\"kind\":", 7);
    bh__put_str(out, kind);
    bh__put(out, ",\"message\":", 11);
    bh__put_str(out, message);
    bh__put(out, ",\"severity\":", 12);
    bh__put_str(out, bh__severities[(unsigned)severity <= BH_ERROR ? severity : BH_ERROR]);
    bh__put(out, ",\"rule_id\":", 11);
    bh__put_str(out, rule_id);
    if (data_json) {
        bh__put(out, ",\"data\":", 8);
        bh__put(out, data_json, strlen(data_json));
    }
    bh__put(out, "}", 1);
    out->count++;
}

/* One finding for a given component_purl. Batch plugins normally use bh_finding, which names
 * the current item by itself. */
static BH_UNUSED void bh_finding_for(bh_out *out, const char *component_purl, const char *kind,
                                     bh_severity severity, const char *rule_id,
                                     const char *message) {
    bh_finding_full(out, component_purl, kind, severity, rule_id, message, NULL);
}

/* One finding with structured detail: data_json is a JSON object, e.g. "{\"score\":9.8}". */
static BH_UNUSED void bh_finding_data(bh_out *out, const char *kind, bh_severity severity,
                                      const char *rule_id, const char *message,
                                      const char *data_json) {
    bh_finding_full(out, out->id, kind, severity, rule_id, message, data_json);
}

/* One finding for the component being looked at. */
static BH_UNUSED void bh_finding(bh_out *out, const char *kind, bh_severity severity,
                                 const char *rule_id, const char *message) {
    bh_finding_for(out, out->id, kind, severity, rule_id, message);
}

/* Answer exactly these bytes for the whole call (findings so far are dropped, later items of a
 * batch are not looked at). For plugins and tests that need full control of the response. */
static BH_UNUSED void bh_raw(bh_out *out, const char *bytes, size_t len) {
    out->len = 0;
    out->raw = 0;
    bh__put(out, bytes, len);
    out->raw = 1;
}

/* A malloc'ed, formatted string (vsnprintf), or NULL when out of memory. */
static BH_UNUSED __attribute__((format(printf, 1, 2))) char *bh_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- host functions (import module "bomdrift") ------------------------------------------ */

__attribute__((import_module("bomdrift"), import_name("log")))
void bh__host_log(int32_t level, const char *ptr, size_t len);
__attribute__((import_module("bomdrift"), import_name("now_ms")))
int64_t bh__host_now_ms(void);
__attribute__((import_module("bomdrift"), import_name("read_file")))
int64_t bh__host_read_file(const char *path, size_t path_len, char *buf, size_t cap);
__attribute__((import_module("bomdrift"), import_name("http_get")))
int64_t bh__host_http_get(const char *url, size_t url_len, char *buf, size_t cap);
__attribute__((import_module("bomdrift"), import_name("http_request")))
int64_t bh__host_http_request(const char *req, size_t req_len, char *buf, size_t cap);

/* The first buffer offered to read_file / http_*; doubled on -4 up to BH_MAX_BUFFER. */
#define BH_FIRST_BUFFER (64 * 1024)
#define BH_MAX_BUFFER (16 * 1024 * 1024)

typedef int64_t (*bh__host_fetch)(const char *, size_t, char *, size_t);

/* One code path for the brokered calls: offer a buffer, double it on -4 up to max. */
static BH_UNUSED int64_t bh__fetch(bh__host_fetch call, const char *arg, char **out, size_t max) {
    size_t cap = BH_FIRST_BUFFER < max ? BH_FIRST_BUFFER : (max ? max : 1);
    *out = NULL;
    for (;;) {
        char *buf = malloc(cap + 1);
        if (!buf) return BH_NO_MEMORY;
        int64_t n = call(arg, strlen(arg), buf, cap);
        if (n >= 0) {
            if ((uint64_t)n > cap) {
                free(buf);
                return BH_FAULT;
            }
            buf[n] = 0; /* a NUL after the bytes, for text */
            *out = buf;
            return n;
        }
        free(buf);
        if (n == BH_TOO_LARGE && cap < max) {
            cap = cap * 2 < max ? cap * 2 : max;
            continue;
        }
        return n;
    }
}

/* The bytes of the file at path (relative paths start at the policy file's folder) into a
 * malloc'ed *out (NUL-terminated); returns the byte count or a negative code (bh_error_name).
 * Needs bomdrift.read_file in the policy's imports and an [[fs.read]] rule covering it. */
static BH_UNUSED int64_t bh_read_file(const char *path, char **out) {
    return bh__fetch(bh__host_read_file, path, out, BH_MAX_BUFFER);
}

/* The body of a 2xx answer to GET url, as bh_read_file. Needs bomdrift.http_get in the
 * policy's imports and a [[net.allow]] rule for the URL's scheme, host and port. */
static BH_UNUSED int64_t bh_http_get(const char *url, char **out) {
    return bh__fetch(bh__host_http_get, url, out, BH_MAX_BUFFER);
}

/* bomdrift.http_request (protocol/README.md section 9): request_json is
 * {"method":"POST","url":...,"headers":[[name,value]],"body":"..."}; the response body as
 * bh_read_file. The rule must list the method in its `methods`. */
static BH_UNUSED int64_t bh_http_request(const char *request_json, char **out) {
    return bh__fetch(bh__host_http_request, request_json, out, BH_MAX_BUFFER);
}

/* What a negative result code means, for messages. */
static BH_UNUSED const char *bh_error_name(int64_t code) {
    switch (code) {
    case BH_DENIED: return "denied by the policy";
    case BH_NOT_FOUND: return "not found or not readable";
    case BH_QUOTA: return "a quota of the policy would be exceeded";
    case BH_TOO_LARGE: return "too large";
    case BH_TIMED_OUT: return "timed out";
    case BH_FAULT: return "the host rejected a guest pointer";
    case BH_BAD_REQUEST: return "the request is malformed";
    case BH_NO_MEMORY: return "out of guest memory";
    default: return "unknown host result";
    }
}

/* One line into the report's log; bytes beyond the policy's max_log_bytes are dropped. */
static BH_UNUSED void bh_log(bh_level level, const char *message) {
    bh__host_log((int32_t)level, message, strlen(message));
}

/* The run's fixed time in milliseconds since the epoch (the same for every call). */
static BH_UNUSED int64_t bh_now_ms(void) { return bh__host_now_ms(); }

/* ---- the ABI exports -------------------------------------------------------------------- */

static BH_UNUSED int32_t bh__alloc(int32_t len) {
    return (int32_t)(uintptr_t)malloc(len > 0 ? (size_t)len : 1);
}

static BH_UNUSED int64_t bh__answer(const char *bytes, size_t len) {
    return (int64_t)(((uint64_t)(uintptr_t)bytes << 32) | (uint32_t)len);
}

static BH_UNUSED int64_t bh__enrich(int32_t ptr, int32_t len, bh_plugin_fn plugin) {
    static const char not_json[] = "request is not JSON";
    bh_json j = {(const char *)(uintptr_t)ptr, len > 0 ? (size_t)len : 0, NULL, 0};
    jsmn_parser p;
    jsmn_init(&p);
    int n = jsmn_parse(&p, j.text, j.len, NULL, 0);
    if (n > 0) j.tok = malloc(sizeof(jsmntok_t) * (size_t)n);
    if (n <= 0 || !j.tok) return bh__answer(not_json, sizeof not_json - 1);
    jsmn_init(&p);
    j.ntok = jsmn_parse(&p, j.text, j.len, j.tok, (unsigned)n);
    /* A request that is not JSON (the host never sends one) gets an invalid response, so the
     * mistake shows in the report as bad_output instead of as a silent empty answer. */
    if (j.ntok <= 0 || j.tok[0].type != JSMN_OBJECT) return bh__answer(not_json, sizeof not_json - 1);

    bh_out out = {0};
    bh__put(&out, "{\"findings\":[", 13);
    bh_call call = {&j, -1, -1, bh_find(&j, 0, "config"), bh_find(&j, 0, "run"), "", NULL};
    int batch = bh_find(&j, 0, "batch");
    if (batch >= 0) {
        for (int i = 0; i < bh_len(&j, batch) && !out.raw; i++) {
            int item = bh_item(&j, batch, i);
            char *event = bh_str(&j, bh_find(&j, item, "event"));
            call.component = bh_find(&j, item, "component");
            call.before = bh_find(&j, item, "before");
            call.event = event ? event : "";
            call.id = bh_str(&j, bh_find(&j, item, "component_purl"));
            out.id = call.id ? call.id : "";
            plugin(&call, &out);
        }
    } else {
        char *event = bh_str(&j, bh_find(&j, 0, "event"));
        call.component = bh_find(&j, 0, "component");
        call.before = bh_find(&j, 0, "before");
        call.event = event ? event : "";
        plugin(&call, &out);
    }
    if (!out.raw) bh__put(&out, "]}", 2);
    if (out.oom) return bh__answer(not_json, 0);
    return bh__answer(out.buf, out.len);
}

/* Export the ABI for `void fn(const bh_call *call, bh_out *out)`. */
#define BOMHOST_PLUGIN(fn)                                                                       \
    __attribute__((export_name("bomdrift_alloc"))) int32_t bomdrift_alloc(int32_t len) {          \
        return bh__alloc(len);                                                                   \
    }                                                                                            \
    __attribute__((export_name("bomdrift_enrich"))) int64_t bomdrift_enrich(int32_t ptr,          \
                                                                            int32_t len) {        \
        return bh__enrich(ptr, len, fn);                                                         \
    }

#endif /* BOMHOST_H */
