using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace Motor.Api.Operations;

/// <summary>
/// Motor:MaxBodyBytes for every request: a declared Content-Length above it is refused before anything is read; a body
/// without a length (chunked) is cut when it passes the limit. Kestrel enforces the same limit; this also covers hosts
/// without that feature (the test server).
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, long maxBodyBytes)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > maxBodyBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status413PayloadTooLarge,
                    Title = "The request body is too large",
                    Detail = $"Content-Length {context.Request.ContentLength} exceeds the limit of {maxBodyBytes} bytes (Motor:MaxBodyBytes)",
                },
            });
            return;
        }

        IHttpMaxRequestBodySizeFeature? feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = maxBodyBytes;
        }
        else if (context.Request.ContentLength is null && context.Request.Body != Stream.Null)
        {
            context.Request.Body = new LimitedReadStream(context.Request.Body, maxBodyBytes);
        }

        await next(context);
    }

    /// <summary>Throws the same exception Kestrel throws (413) once more than the limit has been read.</summary>
    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _read += read;
            if (_read > limit)
            {
                throw new BadHttpRequestException($"the request body exceeds {limit} bytes", StatusCodes.Status413PayloadTooLarge);
            }

            return read;
        }
    }
}
