using Dpr.Fabric.Convolution;

namespace Dpr.Actors.Modules;

/// <summary>
/// Messages of a module actor. They stay inside the process (the module actor is a child of its
/// region manager), so they carry the checked job itself, its tensors at native width, rather than its serialized form.
/// </summary>
public static class ModuleCommands
{
    /// <summary>Run one convolution; answered with <see cref="ModuleReplies.Completed"/>, <see cref="ModuleReplies.Failed"/> or <see cref="ModuleReplies.HandedBack"/>.</summary>
    public sealed record Run(Guid JobId, ConvJob Job);

    /// <summary>Finish the running job, hand back the queued ones, answer <see cref="ModuleReplies.Drained"/> and stop.</summary>
    public sealed record Drain;
}
