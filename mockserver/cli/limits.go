package cli

// DefaultMaxConns is the default of --max-conns where the open-file limit
// allows it: more clients than a sandbox serves at once, far fewer than
// would run a process out of descriptors.
const DefaultMaxConns = 1024

// reservedFiles are the descriptors kept for what is not a client
// connection: the listener, the state and fixture files, standard streams.
const reservedFiles = 64

// defaultMaxConns is the default of --max-conns on this machine.
func defaultMaxConns() int {
	files, known := openFileLimit()
	return maxConnsWithin(files, known)
}

// maxConnsWithin is DefaultMaxConns, lowered to fit an open-file limit of
// files: each connection may take two descriptors, its own and, in proxy
// mode, one to the upstream.
func maxConnsWithin(files int, known bool) int {
	if !known {
		return DefaultMaxConns
	}
	return max(1, min(DefaultMaxConns, (files-reservedFiles)/2))
}
