{
  "targets": [
    {
      "target_name": "lamina_native",
      "sources": ["lamina_native.c"],
      "cflags": ["-O2", "-std=c11"],
      "libraries": ["-ldl"]
    }
  ]
}
