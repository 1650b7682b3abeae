namespace Dpr.Fabric.Modules;

/// <summary>A manifest or its image is wrong; the catalog turns it into a <see cref="ModuleProblem"/>.</summary>
public sealed class ModuleProblemException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
