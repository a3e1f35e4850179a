package admin

import "time"

// Health is the answer of GET /__admin/health.
type Health struct {
	// Status is HealthOK, or HealthUnavailable when the store cannot be
	// read or its latest write failed.
	Status        string    `json:"status"`
	Transactions  int       `json:"transactions"`
	JournalLength int       `json:"journalLength"`
	Uptime        string    `json:"uptime"`
	Clock         time.Time `json:"clock"`
	// Error says why the sandbox is unavailable.
	Error string `json:"error,omitempty"`
}

// Values of Health.Status.
const (
	HealthOK          = "ok"
	HealthUnavailable = "unavailable"
)

// ResetResult is the answer of POST /__admin/reset.
type ResetResult struct {
	// Transactions is how many transactions the sandbox holds after it.
	Transactions int `json:"transactions"`
}

// ReloadResult is the answer of POST /__admin/fixtures/reload: what the
// reloaded fixtures hold.
type ReloadResult struct {
	Registrations int `json:"registrations"`
	Transactions  int `json:"transactions"`
}
