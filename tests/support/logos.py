"""SVG files that must never become a directory's logo: each runs or loads something."""

HOSTILE_SVG = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">'
              b'<script>alert(document.cookie)</script></svg>',
    "event handler": b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50" '
                     b'onload="alert(1)"><rect width="10" height="10"/></svg>',
    "foreign object": b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">'
                      b'<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">'
                      b'<img src="x" onerror="alert(1)"/></div></foreignObject></svg>',
    "external image": b'<svg xmlns="http://www.w3.org/2000/svg" '
                      b'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 50">'
                      b'<image xlink:href="https://tracker.example/pixel.png"/></svg>',
    "javascript link": b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">'
                       b'<a href="javascript:alert(1)"><rect width="9" height="9"/></a></svg>',
    "animated href": b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50"><a>'
                     b'<set attributeName="href" to="javascript:alert(1)"/></a></svg>',
    "css import": b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">'
                  b'<style>@import "https://evil.example/x.css";</style></svg>',
    "css url": b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">'
               b'<rect style="fill:url(https://evil.example/x)" width="9" height="9"/></svg>',
    "stylesheet instruction": b'<?xml-stylesheet href="https://evil.example/x.css"?>'
                              b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"/>',
    "external entity": b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                       b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9">&x;</svg>',
    "entity expansion": b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9">&b;</svg>',
}
