"""The load generator's playlist parsing (loadtest/locustfile.py parsed_playlist), checked in
a subprocess: importing the locustfile imports Locust, which monkey-patches the standard
library (gevent)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent('''
    import json
    from loadtest.locustfile import parsed_playlist

    MASTER = """#EXTM3U
    #EXT-X-STREAM-INF:BANDWIDTH=1200000,RESOLUTION=854x480
    480p/index.m3u8
    #EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=426x240
    240p/index.m3u8
    """
    MEDIA = "#EXTM3U\\n#EXT-X-TARGETDURATION:4\\n" + "".join(
        f"#EXTINF:{4.0 if i < 2 else 2.5},\\nseg_{i:05d}.ts\\n" for i in range(3)
    ) + "#EXT-X-ENDLIST\\n"
    base = "http://127.0.0.1:8080/video/t01/"
    master = parsed_playlist(MASTER, base + "master.m3u8")
    media = parsed_playlist(MEDIA, base + "240p/index.m3u8")
    again = parsed_playlist(MEDIA, base + "240p/index.m3u8")
    other = parsed_playlist(MEDIA, "http://127.0.0.1:8080/video/t02/240p/index.m3u8")
    print(json.dumps({
        "variants": master.variants, "master_segments": master.segments,
        "segments": media.segments, "target": media.target_duration,
        "cached": again is media, "other_first": other.segments[0][0],
        "hits": parsed_playlist.cache_info().hits,
    }))
''')


def test_playlists_are_parsed_once_per_text_and_url_with_absolute_uris():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=60, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    base = "http://127.0.0.1:8080/video/t01/"
    assert seen["variants"] == [[400_000, base + "240p/index.m3u8", "240p"],
                                [1_200_000, base + "480p/index.m3u8", "480p"]]  # lowest first
    assert seen["master_segments"] == []
    assert seen["segments"] == [[base + "240p/seg_00000.ts", 4.0],
                                [base + "240p/seg_00001.ts", 4.0],
                                [base + "240p/seg_00002.ts", 2.5]]
    assert seen["target"] == 4.0
    assert seen["cached"] is True and seen["hits"] == 1
    # the same text under another URL resolves against that URL
    assert seen["other_first"] == "http://127.0.0.1:8080/video/t02/240p/seg_00000.ts"
