// Package ui holds the sandbox's pages for people: the index of /__admin/
// and the dashboard at /__admin/ui, plain HTML, CSS and JavaScript built
// into the binary, with no build step and nothing fetched from elsewhere.
package ui

import _ "embed"

// File is one of the pages or the files they load.
type File struct {
	ContentType string
	Body        []byte
}

var (
	//go:embed index.html
	indexHTML []byte
	//go:embed dashboard.html
	dashboardHTML []byte
	//go:embed app.js
	appJS []byte
	//go:embed app.css
	appCSS []byte
)

const htmlType = "text/html; charset=utf-8"

// Index is the page of /__admin/: links to the dashboard and both OpenAPI
// documents.
var Index = File{htmlType, indexHTML}

// Dashboard is the dashboard's page, which loads Assets.
var Dashboard = File{htmlType, dashboardHTML}

// Assets are the files the dashboard loads, by name.
var Assets = map[string]File{
	"app.js":  {"text/javascript; charset=utf-8", appJS},
	"app.css": {"text/css; charset=utf-8", appCSS},
}

// ContentSecurityPolicy lets the pages run the sandbox's own script and
// style alone, call only their own origin, and be framed by no page (so
// that no other site can lure a click on a dashboard button).
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
