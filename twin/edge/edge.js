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

// CloudFront's Range rules (Developer Guide, "How CloudFront processes partial requests for
// an object (range GETs)"): it follows RFC 9110 section 14, but answers 200 with the whole
// object when the byte ranges are not in ascending order, overlap, or any range spec is
// invalid. '1' when the viewer's Range is to be ignored that way, '' otherwise (no Range,
// another unit, or ranges nginx serves: 206, multipart/byteranges, or 416 if none fits).
function rangeIgnored(r) {
    var header = r.headersIn.Range;
    if (!header || !/^bytes=/i.test(header)) {
        return '';
    }
    var specs = header.slice(6).split(',');
    var previousLast = -1;
    for (var i = 0; i < specs.length; i++) {
        var spec = /^\s*(\d*)-(\d*)\s*$/.exec(specs[i]);
        if (!spec || (spec[1] === '' && spec[2] === '')) {
            return '1';
        }
        if (spec[1] === '') {               // suffix range: its position depends on the length
            if (i !== specs.length - 1 || (specs.length > 1 && Number(spec[2]) === 0)) {
                return '1';
            }
            continue;
        }
        var first = Number(spec[1]);
        var last = spec[2] === '' ? Infinity : Number(spec[2]);
        if (last < first || first <= previousLast) {
            return '1';
        }
        previousLast = last;
    }
    return '';
}

// '1' for a Range nginx cannot serve itself: several ranges CloudFront would honour.
// nginx serves one range from a proxied answer, so these go to serveRanges.
function rangeMultiple(r) {
    var header = r.headersIn.Range;
    return header && header.indexOf(',') >= 0 && rangeIgnored(r) === '' ? '1' : '';
}

// The satisfiable [first, last] pairs of a Range CloudFront honours, for an object of size
// bytes (RFC 9110 section 14.1.2: a last past the end is clamped, a suffix counts from it).
function satisfiableRanges(header, size) {
    var ranges = [];
    header.slice(6).split(',').forEach(function (text) {
        var spec = /^\s*(\d*)-(\d*)\s*$/.exec(text);
        var first, last;
        if (spec[1] === '') {
            first = Math.max(0, size - Number(spec[2]));
            last = Number(spec[2]) === 0 ? -1 : size - 1;
        } else {
            first = Number(spec[1]);
            last = spec[2] === '' ? size - 1 : Math.min(Number(spec[2]), size - 1);
        }
        if (first < size && first <= last) {
            ranges.push([first, last]);
        }
    });
    return ranges;
}

// What the cache says about the object, passed on to the viewer as the proxy would.
var PASSED_ON = ['Age', 'Cache-Control', 'ETag', 'Expires', 'Last-Modified', 'Via', 'X-Cache',
                 'X-Amz-Cf-Id', 'X-Amz-Cf-Pop'];
var HOP_BY_HOP = ['connection', 'content-length', 'content-type', 'transfer-encoding',
                  'keep-alive', 'accept-ranges', 'content-range', 'range'];

// Several ranges: the whole object from the cache (as the location would proxy it), then
// a 206 multipart/byteranges answer (RFC 9110 section 14.6), or 416 if none fits.
async function serveRanges(r) {
    var target = r.variables.edge_target || r.variables.request_uri;
    var headers = {};
    r.rawHeadersIn.forEach(function (pair) {
        if (HOP_BY_HOP.indexOf(pair[0].toLowerCase()) < 0) {
            headers[pair[0]] = pair[1];
        }
    });
    headers['X-Edge-Behavior'] = r.variables.edge_behavior;
    headers['X-Forwarded-For'] = r.remoteAddress;
    headers['Accept-Encoding'] = 'identity';
    var reply = await ngx.fetch('http://' + r.variables.edge_cache_addr + target,
                                { method: r.method, headers: headers });
    var bytes = await reply.arrayBuffer();
    var body = Buffer.from(bytes);
    PASSED_ON.forEach(function (name) {
        var value = reply.headers.get(name);
        if (value !== null && value !== undefined) {
            r.headersOut[name] = value;
        }
    });
    if (reply.status !== 200) {
        r.headersOut['Content-Type'] = reply.headers.get('Content-Type') || 'text/plain';
        r.return(reply.status, body);
        return;
    }
    var size = body.length;
    var ranges = satisfiableRanges(r.headersIn.Range, size);
    r.headersOut['Accept-Ranges'] = 'bytes';
    if (ranges.length === 0) {
        r.headersOut['Content-Range'] = 'bytes */' + size;
        r.headersOut['Content-Type'] = 'application/problem+json';
        r.return(416, JSON.stringify({
            type: 'about:blank', title: 'Range Not Satisfiable', status: 416,
            detail: 'No requested range is within the object.'
        }));
        return;
    }
    var type = reply.headers.get('Content-Type') || 'application/octet-stream';
    var boundary = 'edgeflix' + Date.now().toString(16) + Math.random().toString(16).slice(2);
    var pieces = [];
    ranges.forEach(function (range) {
        pieces.push(Buffer.from('\r\n--' + boundary + '\r\nContent-Type: ' + type
                                + '\r\nContent-Range: bytes ' + range[0] + '-' + range[1]
                                + '/' + size + '\r\n\r\n'));
        pieces.push(body.slice(range[0], range[1] + 1));
    });
    pieces.push(Buffer.from('\r\n--' + boundary + '--\r\n'));
    r.headersOut['Content-Type'] = 'multipart/byteranges; boundary=' + boundary;
    r.return(206, Buffer.concat(pieces));
}

export default {
    viewerRequestTarget: viewerRequestTarget,
    verifySignedCookies: verifySignedCookies,
    rangeIgnored: rangeIgnored,
    rangeMultiple: rangeMultiple,
    serveRanges: serveRanges,
};
