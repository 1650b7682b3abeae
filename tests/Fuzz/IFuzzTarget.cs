namespace Dpr.Fuzz;

/// <summary>
/// One entry point of dpr that reads untrusted bytes. <see cref="Run"/> returns normally for input the
/// entry point accepts and for the typed errors it documents for bad input; any other exception
/// escapes and is a finding (SharpFuzz reports it to afl-fuzz as a crash), as is a hang or a memory
/// blow-up (the runner bounds both: afl-fuzz's timeout and the GC heap limit).
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name on the command line and the corpus folder: <c>bitstream</c>, <c>http-submit</c>.</summary>
    string Name { get; }

    /// <summary>The public entry points the target drives.</summary>
    string Description { get; }

    void Run(byte[] input);

    /// <summary>The initial corpus, from the real fixtures where the target reads a fixture's format.</summary>
    IEnumerable<Seed> Seeds(FixtureDirectory fixtures);

    /// <summary>
    /// Tokens of the input's format for afl-fuzz's dictionary (<c>-x</c>): field names, keywords, packet
    /// headers. afl-fuzz splices them in; without them it must find each by bit flips, and for the text
    /// formats whose parser is in the (uninstrumented) shared framework it rarely does.
    /// </summary>
    IEnumerable<byte[]> Dictionary { get; }
}
