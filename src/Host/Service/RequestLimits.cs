using Dpr.Fabric.Boards;

namespace Dpr.Host.Service;

/// <summary>
/// What <c>dpr serve</c> takes in a request: each limit as set (<c>Dpr:MaxRequestBytes</c>,
/// <c>Dpr:LargeBodyBytes</c>, <c>Dpr:MaxLargeBodies</c>), or, when not set, derived from the board's RAM
/// (its profile's <c>ram</c>; without one, the memory the runtime sees), so the defaults fit the board
/// the service runs on. On a 512 MiB PYNQ-Z2: bodies up to 64 MiB, those over 1 MiB large, 8 of them read at once.
/// </summary>
/// <param name="MaxRequestBytes">
/// An eighth of the RAM: a body streams to the blob store, but the job it carries is decoded to run (a few
/// bytes an element, with its output), and the largest job must still leave the rest of the service its room.
/// </param>
/// <param name="LargeBodyBytes">RAM / 512: below it a body costs no more than the buffers every request has.</param>
/// <param name="MaxLargeBodies">
/// RAM / 64 MiB: a large body being read holds up to about 1 MiB of Kestrel's request buffer and a
/// quarter MiB of the reader's, and its job's check and upload; a handful of them is a few percent of the RAM.
/// </param>
public sealed record RequestLimits(long MaxRequestBytes, long LargeBodyBytes, int MaxLargeBodies)
{
    public static RequestLimits For(ServiceOptions options, Board board)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ram = RamOf(board);
        return new RequestLimits(
            options.MaxRequestBytes ?? ram / 8,
            options.LargeBodyBytes ?? ram / 512,
            options.MaxLargeBodies ?? (int)Math.Clamp(ram / (64L << 20), 1, 1024));
    }

    /// <summary>The board's RAM as its profile gives it, else the memory the runtime sees (on the board itself, the same thing).</summary>
    public static long RamOf(Board board)
    {
        ArgumentNullException.ThrowIfNull(board);
        return board.RamBytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
