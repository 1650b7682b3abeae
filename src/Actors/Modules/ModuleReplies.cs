using Dpr.Fabric.Drivers;

namespace Dpr.Actors.Modules;

public static class ModuleReplies
{
    public sealed record Completed(Guid JobId, string Module, string Partition, ConvModuleResult Result);

    public sealed record Failed(Guid JobId, string Module, string Partition, string Reason);

    /// <summary>The job was queued when the module had to go: run it again elsewhere or later.</summary>
    public sealed record HandedBack(Guid JobId, string Module);

    public sealed record Drained(string Module, int HandedBack);
}
