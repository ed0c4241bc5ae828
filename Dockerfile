# medbert as one static binary on a distroless base, running as non-root.
#   docker build -t medbert .
#   docker run --rm -p 8080:8080 -v $PWD/model:/models/dx:ro medbert \
#     serve --model /models/dx --addr 0.0.0.0:8080
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# No cgo: the binary needs no libc, so it runs on distroless/static.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/medbert ./cmd/medbert

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/medbert /medbert
# 65532 is distroless's "nonroot" user.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/medbert"]
CMD ["serve", "--model", "/models/dx", "--addr", "0.0.0.0:8080"]
