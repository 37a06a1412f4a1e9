module corral.local/apiserver-proxy

go 1.24
