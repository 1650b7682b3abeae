using Microsoft.AspNetCore.Http;

namespace Dpr.Host.Api;

/// <summary>
/// How many large request bodies (over <see cref="ThresholdBytes"/>) are being read at once, at most
/// <see cref="Max"/> (<c>Dpr:LargeBodyBytes</c>, <c>Dpr:MaxLargeBodies</c>): past it a body is refused
/// with 503 and <c>Retry-After</c> before more of it is read, so a crowd of clients cannot make the
/// service hold more bodies (their buffers, their uploads, their checks) than the board has room for.
/// </summary>
public sealed class LargeBodies(long thresholdBytes, int max)
{
    private int _reading;

    public long ThresholdBytes { get; } = thresholdBytes;

    public int Max { get; } = max;

    /// <summary>How many large bodies are being read now.</summary>
    public int Reading => Volatile.Read(ref _reading);

    /// <summary>A slot for one large body, given back when disposed.</summary>
    /// <exception cref="ApiProblem">503 with <c>Retry-After</c>: <see cref="Max"/> are being read.</exception>
    public IDisposable Enter()
    {
        if (Interlocked.Increment(ref _reading) > Max)
        {
            Interlocked.Decrement(ref _reading);
            throw new ApiProblem(StatusCodes.Status503ServiceUnavailable, "body",
                $"{Max} request bodies over {ThresholdBytes} bytes are being read, the most at once (Dpr:MaxLargeBodies); try again shortly",
                TimeSpan.FromSeconds(1));
        }
        return new Slot(this);
    }

    private sealed class Slot(LargeBodies owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref owner._reading);
            }
        }
    }
}
