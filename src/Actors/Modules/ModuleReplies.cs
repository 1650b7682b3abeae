using Dpr.Fabric.Drivers;

namespace Dpr.Actors.Modules;

public static class ModuleReplies
{
    /// <param name="Ran">How long the module took (wall clock), without the messages to and from it: what the job cost its partition.</param>
    public sealed record Completed(Guid JobId, string Module, string Partition, ConvModuleResult Result, TimeSpan Ran);

    public sealed record Failed(Guid JobId, string Module, string Partition, string Reason);

    /// <summary>The job did not run to an end here (<paramref name="Reason"/>): run it again elsewhere or later.</summary>
    /// <param name="Started">False when the job never reached a module (the partition was being loaded, held, or held
    /// another module; the module was unloaded before it ran): such a hand-back does not count as one of its starts.</param>
    public sealed record HandedBack(Guid JobId, string Module, string Reason, bool Started = true);

    public sealed record Drained(string Module, int HandedBack);
}
