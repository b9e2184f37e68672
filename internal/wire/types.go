package wire

// Message types of the Locust protocol (section 3 of locust-wire.md). Any
// other type string is a custom message.
const (
	TypeClientReady      = "client_ready"      // W→M: ClientReady
	TypeAck              = "ack"               // M→W: Ack
	TypeHeartbeat        = "heartbeat"         // W→M: Heartbeat; M→W (since 2.19): nil
	TypeStats            = "stats"             // W→M: StatsReport
	TypeSpawn            = "spawn"             // M→W: Spawn
	TypeSpawning         = "spawning"          // W→M: nil
	TypeSpawningComplete = "spawning_complete" // W→M and (since 2.29) M→W: SpawningComplete
	TypeStop             = "stop"              // M→W: nil
	TypeClientStopped    = "client_stopped"    // W→M: nil
	TypeQuit             = "quit"              // both directions: nil
	TypeReconnect        = "reconnect"         // M→W: nil
	TypeException        = "exception"         // W→M: Exception
	TypeLogs             = "logs"              // W→M (since 2.29): Logs
	TypeUpdateUserClass  = "update_user_class" // M→W (since 2.21): UpdateUserClass
	TypeLocustfile       = "locustfile"        // both (since 2.23): LocustfileRequest / LocustfileReply
)

// IsBuiltin reports whether typ is one of Locust's own message types rather
// than a custom one.
func IsBuiltin(typ string) bool {
	switch typ {
	case TypeClientReady, TypeAck, TypeHeartbeat, TypeStats, TypeSpawn, TypeSpawning,
		TypeSpawningComplete, TypeStop, TypeClientStopped, TypeQuit, TypeReconnect,
		TypeException, TypeLogs, TypeUpdateUserClass, TypeLocustfile:
		return true
	}
	return false
}
