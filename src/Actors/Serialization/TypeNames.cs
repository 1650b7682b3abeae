namespace Dpr.Actors.Serialization;

internal static class TypeNames
{
    /// <summary>"Namespace.Type, Assembly": what HOCON bindings name, stable across versions.</summary>
    public static string AssemblyQualifiedNameWithoutVersion(this Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";
}
