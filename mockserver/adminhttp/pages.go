package adminhttp

import (
	"net/http"

	"github.com/gorilla/mux"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/adminhttp/ui"
)

// yamlType is the media type of both OpenAPI documents (RFC 9512).
const yamlType = "application/yaml"

// pageHandlers serve what admin.IsPublic operations answer: the pages and
// documents built into the binary.
var pageHandlers = map[admin.Operation]http.HandlerFunc{
	admin.OpIndex:          serveFile(ui.Index),
	admin.OpDashboard:      serveFile(ui.Dashboard),
	admin.OpDashboardAsset: serveAsset,
	admin.OpProviderSpec:   serveFile(ui.File{ContentType: yamlType, Body: rechargestatus.SpecYAML}),
	admin.OpAdminSpec:      serveFile(ui.File{ContentType: yamlType, Body: admin.SpecYAML}),
}

func serveFile(f ui.File) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", f.ContentType)
		h.Set("Content-Security-Policy", ui.ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Each binary has its own pages; a browser asks again rather than
		// mixing a page of one sandbox with the script of another.
		h.Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(f.Body)
	}
}

// serveAsset answers one of ui.Assets; validation has refused other names.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	f, ok := ui.Assets[pathVar(r, "asset")]
	if !ok {
		noOperation(w, r)
		return
	}
	serveFile(f)(w, r)
}

// isPublic reports whether a request is for an admin.IsPublic operation,
// as the admin router routes it.
func isPublic(r *http.Request) bool {
	var m mux.RouteMatch
	return adminRouter().Match(r, &m) && m.Route != nil && admin.IsPublic(admin.Operation(m.Route.GetName()))
}
