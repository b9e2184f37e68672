// Package hellopb is the greeter service of examples/grpc, generated from
// hello.proto.
package hellopb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative hello.proto
