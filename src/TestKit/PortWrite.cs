namespace Dpr.TestKit;

/// <summary>One write on the board's configuration port, in the order writes began.</summary>
/// <param name="Number">1-based, counted from the board's start, across restarts of the node.</param>
/// <param name="Image">The image written: a module's partial bitstream.</param>
/// <param name="Failure">Null when the write succeeded; otherwise what it threw.</param>
/// <param name="Overlapped">Another write on the port was under way when this one began.</param>
public sealed record PortWrite(int Number, string Image, bool Finished, string? Failure, bool Overlapped)
{
    public bool Succeeded => Finished && Failure is null;
}
