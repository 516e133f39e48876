"""edgeflix playback API: catalog, signed HLS playback and recommendations.

`app.factory.create_app()` builds the Flask app; this package itself imports
nothing, so `app.settings` (the API's runtime contract) and `app.catalog` (the
catalog format) can be imported by the Pulumi program, the twin and the media
publisher without loading Flask.
"""
