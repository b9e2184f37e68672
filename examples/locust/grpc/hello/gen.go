// Package hello is Locust's examples/grpc/hello.proto (copied as it is)
// compiled for Go; the -M flags give it its Go package.
package hello

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Mhello.proto=github.com/herdload/herd/examples/locust/grpc/hello --go-grpc_out=. --go-grpc_opt=paths=source_relative --go-grpc_opt=Mhello.proto=github.com/herdload/herd/examples/locust/grpc/hello hello.proto
