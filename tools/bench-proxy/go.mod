module corral.local/bench-proxy

go 1.24
