/**
 * Converts a kebab-case or lower-case name such as `list-posts` to PascalCase
 * (`ListPosts`), the form construct ids and output names use.
 */
export function toPascalCase(name: string): string {
  return name
    .split(/[-_]/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
