// CloudFront Function (cloudfront-js-2.0), viewer-request.
// Normalises requests so equivalent URLs share one cache entry:
//   - collapses repeated slashes and serves "/" as "/index.html";
//   - media paths (/video/*, /posters/*, /player/*) lose their query string
//     (players add cache-busters the origin ignores);
//   - /api/* keeps only the query parameters the API reads, in sorted order,
//     with the genre lower-cased.
// Written in the ES5 subset that both CloudFront and nginx njs run, so the
// local twin executes this very file.
var API_PARAMS = { genre: 1, limit: 1, offset: 1, profile: 1 };  // the API's query parameters (OpenAPI)

function normalizePath(uri) {
    var path = uri.replace(/\/{2,}/g, '/');
    if (path === '' || path === '/') {
        return '/index.html';
    }
    return path;
}

function firstValue(entry) {
    if (entry.multiValue && entry.multiValue.length) {
        return entry.multiValue[0].value;
    }
    return entry.value;
}

function normalizeApiQuery(querystring) {
    var names = Object.keys(querystring).filter(function (name) {
        return API_PARAMS[name] === 1;
    }).sort();
    var out = {};
    for (var i = 0; i < names.length; i++) {
        var value = firstValue(querystring[names[i]]);
        if (names[i] === 'genre') {
            value = value.toLowerCase();
        }
        out[names[i]] = { value: value };
    }
    return out;
}

function handler(event) {
    var request = event.request;
    request.uri = normalizePath(request.uri);
    if (request.uri.indexOf('/api/') === 0) {
        request.querystring = normalizeApiQuery(request.querystring || {});
    } else {
        request.querystring = {};
    }
    return request;
}
