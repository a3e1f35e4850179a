package transaction

import "time"

// ResolveAfter is a resolve rule leading a pending transaction to to once d
// has passed on the sandbox clock since it became pending.
func ResolveAfter(to State, d time.Duration) *Rule { return &Rule{To: to, After: Duration(d)} }

// ResolveAfterEnquiries is a resolve rule leading a pending transaction to
// to once it has answered n enquiries pending.
func ResolveAfterEnquiries(to State, n int) *Rule { return &Rule{To: to, AfterEnquiries: n} }

// RefundAfter is a refund rule refunding a failed transaction once d has
// passed on the sandbox clock since it failed.
func RefundAfter(d time.Duration) *Rule { return &Rule{After: Duration(d)} }

// RefundAfterEnquiries is a refund rule refunding a failed transaction once
// it has answered n enquiries failed.
func RefundAfterEnquiries(n int) *Rule { return &Rule{AfterEnquiries: n} }
