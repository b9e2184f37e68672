module github.com/ContainerSolutions/locust_exporter

go 1.12

require (
	github.com/prometheus/client_golang v1.11.1
	github.com/prometheus/common v0.26.0
	gopkg.in/alecthomas/kingpin.v2 v2.2.6
)
