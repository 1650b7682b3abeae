namespace Dpr.Fabric.Modules;

/// <summary>Why one manifest was not served: the file, the field at fault and what is wrong.</summary>
public sealed record ModuleProblem(string File, string Field, string Message)
{
    public override string ToString() => $"{Path.GetFileName(File)}: {Field}: {Message}";
}
