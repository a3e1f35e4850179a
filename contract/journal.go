package contract

import "github.com/aopay-sandbox/rechargestatus/admin"

// The fields of a journal entry that specs match, for gomega's
// WithTransform. gomega's HaveField would find them by name, through
// reflect's MethodByName; a binary that can call that with any name keeps
// every exported method of every type it links, which made the image's
// executable several megabytes larger.
func entryStatus(e admin.JournalEntry) int {
	return e.Status
}

func entryRegistration(e admin.JournalEntry) string {
	return e.RegistrationID
}

func entryRequestBody(e admin.JournalEntry) string {
	return e.RequestBody
}

func entryFault(e admin.JournalEntry) string {
	return e.Fault
}
