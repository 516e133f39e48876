// The local twin's CloudFront, the njs half (nginx njs 0.7.9, ES5 style).
//
// viewerRequestTarget(): adapts an nginx request to a CloudFront Function
//   viewer-request event, runs edge-config's own function file on it and
//   returns the (normalised) URI + query string the edge forwards.
// verifySignedCookies(): the signed-cookie check, as CloudFront does it
//   (custom policy, RSA-SHA1 PKCS#1 v1.5, base64 with "-_~"). nginx caches its
//   verdict keyed by the three cookie values and the request's directory, so
//   the RSA cost is paid once per cookie, not once per segment; X-Accel-Expires
//   bounds that cache by the policy's own expiry.

var SIGNED_COOKIES = ['CloudFront-Policy', 'CloudFront-Signature', 'CloudFront-Key-Pair-Id'];
var NEGATIVE_VERDICT_SECONDS = 60;

function parseQuery(raw) {
    // CloudFront hands the function the query string as the viewer sent it.
    var out = {};
    if (!raw) {
        return out;
    }
    var parts = raw.split('&');
    for (var i = 0; i < parts.length; i++) {
        if (parts[i] === '') {
            continue;
        }
        var eq = parts[i].indexOf('=');
        var name = eq < 0 ? parts[i] : parts[i].slice(0, eq);
        var value = eq < 0 ? '' : parts[i].slice(eq + 1);
        if (out[name] === undefined) {
            out[name] = { value: value };
        } else {
            if (!out[name].multiValue) {
                out[name].multiValue = [{ value: out[name].value }];
            }
            out[name].multiValue.push({ value: value });
        }
    }
    return out;
}

function serializeQuery(querystring) {
    var parts = [];
    var names = Object.keys(querystring || {});
    for (var i = 0; i < names.length; i++) {
        var entry = querystring[names[i]];
        var values = entry.multiValue && entry.multiValue.length ? entry.multiValue : [entry];
        for (var j = 0; j < values.length; j++) {
            var value = values[j].value;
            parts.push(value === '' || value === undefined ? names[i] : names[i] + '=' + value);
        }
    }
    return parts.length ? '?' + parts.join('&') : '';
}

function parseCookies(header) {
    var out = {};
    if (!header) {
        return out;
    }
    var parts = header.split(';');
    for (var i = 0; i < parts.length; i++) {
        var part = parts[i].trim();
        var eq = part.indexOf('=');
        if (eq > 0 && out[part.slice(0, eq)] === undefined) {
            out[part.slice(0, eq)] = part.slice(eq + 1);
        }
    }
    return out;
}

function headersOf(r) {
    var headers = {};
    var names = Object.keys(r.headersIn);
    for (var i = 0; i < names.length; i++) {
        headers[names[i].toLowerCase()] = { value: r.headersIn[names[i]] };
    }
    return headers;
}

function cookiesOf(r) {
    var cookies = {};
    var jar = parseCookies(r.headersIn.Cookie);
    var names = Object.keys(jar);
    for (var i = 0; i < names.length; i++) {
        cookies[names[i]] = { value: jar[names[i]] };
    }
    return cookies;
}

// Headers and cookies are built only if the function reads them: most
// functions never do, and building them costs more than running the function.
function lazy(object, name, build) {
    var value;
    Object.defineProperty(object, name, {
        enumerable: true,
        configurable: true,
        get: function () {
            if (value === undefined) {
                value = build();
            }
            return value;
        },
        set: function (v) { value = v; }
    });
}

function viewerEvent(r) {
    var raw = r.variables.request_uri;
    var q = raw.indexOf('?');
    var request = {
        method: r.method,
        uri: q < 0 ? raw : raw.slice(0, q),
        querystring: parseQuery(q < 0 ? '' : raw.slice(q + 1))
    };
    lazy(request, 'headers', function () { return headersOf(r); });
    lazy(request, 'cookies', function () { return cookiesOf(r); });
    var event = {
        version: '1.0',
        context: { eventType: 'viewer-request' },
        request: request
    };
    lazy(event, 'viewer', function () { return { ip: r.remoteAddress }; });
    return event;
}

function viewerRequestTarget(r, handler) {
    var result = handler(viewerEvent(r));
    if (result && result.statusCode) {
        // Functions that answer by themselves are not needed by edge-config yet:
        // an empty target makes the edge answer 501 instead of guessing.
        r.error('viewer-request function returned a response; the twin does not serve those');
        return '';
    }
    return result.uri + serializeQuery(result.querystring);
}

function fromCloudFrontBase64(text) {
    return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
}

function wildcardRegExp(pattern) {
    var out = '';
    for (var i = 0; i < pattern.length; i++) {
        var c = pattern.charAt(i);
        if (c === '*') {
            out += '.*';
        } else if (c === '?') {
            out += '.';
        } else {
            out += c.replace(/[.+^${}()|[\]\\\/]/g, '\\$&');
        }
    }
    return new RegExp('^' + out + '$');
}

function trustedKeys(r) {
    // "KID=<base64 SPKI DER> KID2=..." : the key group, rendered by the twin.
    var keys = {};
    var entries = (r.variables.edge_trusted_keys || '').split(' ');
    for (var i = 0; i < entries.length; i++) {
        var eq = entries[i].indexOf('=');
        if (eq > 0) {
            keys[entries[i].slice(0, eq)] = entries[i].slice(eq + 1);
        }
    }
    return keys;
}

function verdict(r, status, reason, cacheUntil) {
    r.headersOut['X-Edge-Reason'] = reason;
    // "@epoch" ends the cached verdict exactly when the policy expires.
    r.headersOut['X-Accel-Expires'] = cacheUntil ? String(cacheUntil) : '0';
    r.return(status, reason + '\n');
}

// Whether one verdict holds for every URL under `dir`: true for the common
// "<prefix>*" policy when either the whole directory matches or none of it can.
function directoryScope(resource, dir) {
    var star = resource.indexOf('*');
    if (star !== resource.length - 1 || resource.indexOf('?') >= 0) {
        return null;
    }
    var prefix = resource.slice(0, star);
    if (dir.indexOf(prefix) === 0) {
        return 'allow';
    }
    if (prefix.indexOf(dir) !== 0) {
        return 'deny';
    }
    return null;
}

function verifySignedCookies(r) {
    var jar = parseCookies(r.headersIn.Cookie);
    for (var i = 0; i < SIGNED_COOKIES.length; i++) {
        if (!jar[SIGNED_COOKIES[i]]) {
            return verdict(r, 403, 'missing ' + SIGNED_COOKIES[i], 0);
        }
    }
    var negative = String(NEGATIVE_VERDICT_SECONDS);
    var spki = trustedKeys(r)[jar['CloudFront-Key-Pair-Id']];
    if (!spki) {
        return verdict(r, 403, 'key pair id not in the trusted key group', negative);
    }
    var policyBytes, statement, expires;
    try {
        policyBytes = fromCloudFrontBase64(jar['CloudFront-Policy']);
        statement = JSON.parse(policyBytes.toString()).Statement[0];
        expires = statement.Condition.DateLessThan['AWS:EpochTime'];
    } catch (e) {
        return verdict(r, 403, 'malformed policy', negative);
    }
    if (typeof statement.Resource !== 'string' || typeof expires !== 'number') {
        return verdict(r, 403, 'malformed policy', negative);
    }
    var signature = fromCloudFrontBase64(jar['CloudFront-Signature']);
    var algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' };
    crypto.subtle.importKey('spki', Buffer.from(spki, 'base64'), algorithm, false, ['verify'])
        .then(function (key) {
            return crypto.subtle.verify(algorithm, key, signature, policyBytes);
        })
        .then(function (valid) {
            var now = Date.now() / 1000;
            if (!valid) {
                return verdict(r, 403, 'bad signature', negative);
            }
            if (now >= expires) {
                return verdict(r, 403, 'expired', negative);
            }
            var after = statement.Condition.DateGreaterThan;
            if (after && now <= after['AWS:EpochTime']) {
                return verdict(r, 403, 'not yet valid', 0);
            }
            if (statement.Condition.IpAddress) {
                return verdict(r, 403, 'IpAddress conditions are not supported by the twin', 0);
            }
            var url = r.headersIn['X-Edge-Url'];
            var scope = directoryScope(statement.Resource, r.headersIn['X-Edge-Dir']);
            if (wildcardRegExp(statement.Resource).test(url)) {
                return verdict(r, 200, 'valid', scope === 'allow' ? '@' + expires : 0);
            }
            return verdict(r, 403, 'resource does not cover ' + url,
                           scope === 'deny' ? '@' + expires : 0);
        })
        .catch(function (e) {
            verdict(r, 403, 'cannot verify: ' + e.message, 0);
        });
}

export default { viewerRequestTarget: viewerRequestTarget, verifySignedCookies: verifySignedCookies };
